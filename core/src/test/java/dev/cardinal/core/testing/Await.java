package dev.cardinal.core.testing;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * Waits for a fact, never for a span of time: the test goes on the moment the fact holds. The limit
 * is only how long to wait before calling the fact missing, so it is set generously (a loaded CI
 * machine is slow) and is no claim about speed; the failure names what was awaited and what was
 * last seen.
 *
 * <p>A check that something does not happen ("no duplicate arrives") cannot wait for a fact: send a
 * marker after the last real input, await the marker, then assert on what came before it.
 */
public final class Await {
  /** Shortest pause between checks: a fact that holds soon is seen soon. */
  private static final long FIRST_PAUSE_MS = 10;

  /** Longest pause: checks that open a consumer or an HTTP connection should not spin. */
  private static final long LONGEST_PAUSE_MS = 200;

  /** Cap on the last value quoted in a failure, so a long topic dump does not bury the message. */
  private static final int MAX_QUOTED_CHARS = 2_000;

  private Await() {}

  /** A fact to check; it may throw, which fails the wait at once (a broken check never holds). */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** Reads the current value of what is awaited; it may throw, which fails the wait at once. */
  @FunctionalInterface
  public interface Probe<T> {
    T read() throws Exception;
  }

  /**
   * Returns once {@code condition} holds.
   *
   * @param limit how long before the fact counts as missing
   * @param what the fact, as the failure message should name it ("offset 5 committed")
   * @throws AssertionError naming {@code what} when it did not hold within {@code limit}
   */
  public static void until(Duration limit, String what, Condition condition) {
    await(limit, null, what, condition::holds, Boolean::booleanValue, false);
  }

  /**
   * As {@link #until(Duration, String, Condition)}, checking every {@code pause}: for a state that
   * passes quickly and must be caught while it lasts (the first training step, before the next
   * ones).
   */
  public static void until(Duration limit, Duration pause, String what, Condition condition) {
    await(limit, pause, what, condition::holds, Boolean::booleanValue, false);
  }

  /**
   * Reads {@code probe} until its value satisfies {@code done} and returns that value.
   *
   * @throws AssertionError naming {@code what} and quoting the last value read when no value
   *     satisfied {@code done} within {@code limit}
   */
  public static <T> T until(
      Duration limit, String what, Probe<? extends T> probe, Predicate<? super T> done) {
    return await(limit, null, what, probe, done, true);
  }

  /**
   * @param pause between checks, or null to back off from the first pause to the longest
   */
  private static <T> T await(
      Duration limit,
      Duration pause,
      String what,
      Probe<? extends T> probe,
      Predicate<? super T> done,
      boolean quoteLast) {
    long deadline = System.nanoTime() + limit.toNanos();
    long pauseMs = pause == null ? FIRST_PAUSE_MS : Math.max(1, pause.toMillis());
    while (true) {
      T value = read(probe, what);
      if (done.test(value)) {
        return value;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "waited "
                + limit
                + " for "
                + what
                + "; it never held"
                + (quoteLast ? ". Last seen: " + quote(value) : ""));
      }
      sleep(pauseMs, what);
      if (pause == null) {
        pauseMs = Math.min(LONGEST_PAUSE_MS, pauseMs * 2);
      }
    }
  }

  private static <T> T read(Probe<? extends T> probe, String what) {
    try {
      return probe.read();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    } catch (Exception e) {
      throw new AssertionError("checking " + what + " failed: " + e, e);
    }
  }

  private static void sleep(long millis, String what) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    }
  }

  private static String quote(Object value) {
    String text = String.valueOf(value);
    return text.length() <= MAX_QUOTED_CHARS
        ? text
        : text.substring(0, MAX_QUOTED_CHARS) + "... (" + text.length() + " chars)";
  }
}
