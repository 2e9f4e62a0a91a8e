package dev.cardinal.core.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a fact, not for time: polls a condition and fails naming what never became true. */
public final class Await {
  private static final long POLL_MILLIS = 50;

  private Await() {}

  /**
   * Returns once {@code condition} holds.
   *
   * @param limit how long the fact may take at most (a failure bound, never an assertion on speed)
   * @param what the fact, for the failure message
   * @throws AssertionError naming {@code what} when the limit passes first
   */
  public static void until(Duration limit, String what, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("still waiting, after " + limit + ", for " + what);
      }
      Thread.sleep(POLL_MILLIS);
    }
  }
}
