package dev.cardinal.core;

import java.time.Duration;

/** Exponential backoff between retries of a call to a service that did not answer. */
public final class Backoff {
  private Backoff() {}

  /** The wait after one of {@code current}: twice as long, but never longer than {@code cap}. */
  public static Duration doubled(Duration current, Duration cap) {
    Duration twice = current.multipliedBy(2);
    return twice.compareTo(cap) > 0 ? cap : twice;
  }
}
