package dev.cardinal.trainer.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * This process's native threads as Linux lists them ({@code /proc/self/task}), for tests that check
 * which Java threads started threads of their own. A thread started from native code, an OpenMP
 * team's worker, say, carries the name of the thread that started it.
 */
public final class NativeThreads {
  /** Linux keeps a thread's name to 15 bytes. */
  private static final int NAME_LIMIT = 15;

  private NativeThreads() {}

  /** What some work returned, and how many native threads had its thread's name after it. */
  public record Outcome<T>(T value, long threadsNamedLikeIt) {}

  /**
   * Runs {@code work} on a new thread named {@code name} and, before that thread ends (a team of
   * threads lives as long as the thread that started it), counts the native threads with its name:
   * 1 when the work started no threads of its own.
   */
  public static <T> Outcome<T> runOnThreadNamed(String name, Callable<T> work) {
    CompletableFuture<Outcome<T>> outcome = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                T value = work.call();
                outcome.complete(new Outcome<>(value, named(name)));
              } catch (Throwable e) {
                outcome.completeExceptionally(e);
              }
            },
            name);
    thread.start();
    return outcome.join();
  }

  /** Native threads of this process named {@code name} (as truncated by Linux). */
  public static long named(String name) {
    String comm = name.length() > NAME_LIMIT ? name.substring(0, NAME_LIMIT) : name;
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      return tasks.filter(task -> comm.equals(commOf(task))).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String commOf(Path task) {
    try {
      return Files.readString(task.resolve("comm")).strip();
    } catch (IOException e) {
      return null; // the thread ended while we listed
    }
  }
}
