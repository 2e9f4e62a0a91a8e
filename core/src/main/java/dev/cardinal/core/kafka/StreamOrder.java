package dev.cardinal.core.kafka;

import java.time.Duration;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * How to put the records of several partitions back into the one order they were produced in.
 *
 * <p>A producer that splits an ordered stream over partitions keeps each partition in order, but a
 * consumer sees the partitions interleaved however the broker's fetches fall: one partition can run
 * hundreds of records ahead of another. Given each record's span in the stream (its start, and the
 * start of the record that follows it), {@link KafkaReceiver} merges the partitions: it emits the
 * record with the smallest start as soon as it is the one the stream expects next, or as soon as
 * every assigned partition has a record waiting (nothing earlier can come then). When neither holds
 * — a gap, from a record that was dead-lettered upstream or a partition whose producer stalled — it
 * waits at most {@code maxWait} before emitting the smallest it has. That wait is the stated
 * tolerance: a record can arrive out of order only after such a wait, and then by at most what its
 * partition's producer was behind the others.
 *
 * @param start where a record's value begins in the stream; {@link #UNORDERED} for a value that has
 *     no position (garbage), which is emitted at once so the consumer can dead-letter it
 * @param end where the record that follows it begins
 * @param maxWait longest wait for a missing record before emitting out of order
 */
public record StreamOrder(
    ToLongFunction<byte[]> start, ToLongFunction<byte[]> end, Duration maxWait) {
  /** Returned by {@link #start} for a value without a position. */
  public static final long UNORDERED = Long.MIN_VALUE;

  public StreamOrder {
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(end, "end");
    if (maxWait == null || maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must be >= 0, got " + maxWait);
    }
  }
}
