package dev.cardinal.core;

import java.time.Duration;
import org.slf4j.Logger;

/**
 * Exponential backoff between retries of a call to a service that did not answer, or between checks
 * of a condition that did not hold yet: each wait is twice as long as the one before, but never
 * longer than the cap. One instance serves one call's retries (one wait's checks).
 */
public final class Backoff {
  private final Duration cap;
  private Duration next;

  public Backoff(Duration first, Duration cap) {
    this.next = first;
    this.cap = cap;
  }

  /**
   * Logs a warning that {@code attempt} of {@code what} failed and when it is retried, then waits.
   *
   * @param what what failed, as the log line's subject ("Checkpoint … upload")
   * @throws InterruptedException when interrupted while waiting; the caller decides whether that
   *     means stop (the interrupt status is cleared, as {@link Thread#sleep} leaves it)
   */
  public void sleepAfterFailure(Logger log, String what, int attempt, Exception failure)
      throws InterruptedException {
    log.warn(
        "{} failed (attempt {}): {}; retrying in {} ms",
        what,
        attempt,
        failure.getMessage(),
        next.toMillis());
    sleep();
  }

  /**
   * Waits the next wait, without a log line: for a caller that polls for a condition, where not yet
   * is no failure.
   *
   * @throws InterruptedException when interrupted while waiting
   */
  public void sleep() throws InterruptedException {
    Thread.sleep(next.toMillis());
    Duration twice = next.multipliedBy(2);
    next = twice.compareTo(cap) > 0 ? cap : twice;
  }
}
