package dev.cardinal.core;

import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import reactor.core.Disposable;

/** Ends what a stage started, passing over what it never started (null). */
public final class Resources {
  private Resources() {}

  /** Disposes each subscription or scheduler in order. */
  public static void dispose(Disposable... started) {
    for (Disposable d : started) {
      if (d != null) {
        d.dispose();
      }
    }
  }

  /**
   * Closes each resource in order, every one even when an earlier one fails.
   *
   * @throws IllegalStateException the first failure, the later ones suppressed in it
   */
  public static void close(AutoCloseable... started) {
    IllegalStateException failure = null;
    for (AutoCloseable c : started) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("closing " + c + " failed: " + e.getMessage(), e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Closes what a process started, the last started first, and empties {@code started}: every one
   * is closed even when an earlier one fails.
   *
   * @throws IllegalStateException the first failure, the later ones suppressed in it
   */
  public static void closeLastFirst(Deque<? extends AutoCloseable> started) {
    List<AutoCloseable> lastFirst = new ArrayList<>();
    while (!started.isEmpty()) {
      lastFirst.add(started.pop());
    }
    close(lastFirst.toArray(AutoCloseable[]::new));
  }
}
