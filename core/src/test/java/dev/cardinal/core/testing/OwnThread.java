package dev.cardinal.core.testing;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/** Runs a measurement on a fresh thread, as a stage runs its work. */
public final class OwnThread {
  private OwnThread() {}

  /**
   * {@code body}'s result, computed on a new thread: PyTorch sets up its thread team per calling
   * thread, and the test's main thread measured several times slower than a stage's own.
   *
   * @throws Exception what {@code body} threw
   */
  public static <T> T call(Callable<T> body) throws Exception {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Exception> failure = new AtomicReference<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                result.set(body.call());
              } catch (Exception e) {
                failure.set(e);
              }
            });
    thread.start();
    thread.join();
    if (failure.get() != null) {
      throw failure.get();
    }
    return result.get();
  }
}
