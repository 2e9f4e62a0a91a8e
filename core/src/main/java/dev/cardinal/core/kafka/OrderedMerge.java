package dev.cardinal.core.kafka;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The records a {@link KafkaReceiver} has fetched but not yet emitted, per partition, released in
 * stream order as {@link StreamOrder} describes. Used on the receiver's poll thread only.
 */
final class OrderedMerge {
  private final StreamOrder order;
  private final Map<TopicPartition, ArrayDeque<Positioned>> waiting = new HashMap<>();

  /** Where the next record of the stream starts; unknown before the first one is emitted. */
  private Long expected;

  /** When the receiver started waiting for a missing record; null while not waiting. */
  private Long gapSinceNanos;

  private record Positioned(ConsumerRecord<byte[], byte[]> record, long start, long end) {}

  OrderedMerge(StreamOrder order) {
    this.order = order;
  }

  void add(TopicPartition partition, ConsumerRecord<byte[], byte[]> record) {
    long start = order.start().applyAsLong(record.value());
    long end = start == StreamOrder.UNORDERED ? start : order.end().applyAsLong(record.value());
    waiting
        .computeIfAbsent(partition, p -> new ArrayDeque<>())
        .add(new Positioned(record, start, end));
  }

  /** True when records of this partition are waiting: no need to fetch more from it now. */
  boolean hasWaiting(TopicPartition partition) {
    ArrayDeque<Positioned> queue = waiting.get(partition);
    return queue != null && !queue.isEmpty();
  }

  int waitingCount() {
    return waiting.values().stream().mapToInt(ArrayDeque::size).sum();
  }

  /** Forgets a partition's waiting records (revoked: its next owner reads them again). */
  void drop(Collection<TopicPartition> partitions) {
    partitions.forEach(waiting::remove);
  }

  /**
   * The next record to emit, or null to wait for more.
   *
   * @param assigned the partitions the consumer owns now
   */
  ConsumerRecord<byte[], byte[]> next(Collection<TopicPartition> assigned, long nowNanos) {
    ArrayDeque<Positioned> smallest = null;
    boolean somePartitionEmpty = false;
    for (TopicPartition partition : assigned) {
      ArrayDeque<Positioned> queue = waiting.get(partition);
      if (queue == null || queue.isEmpty()) {
        somePartitionEmpty = true;
      } else if (smallest == null || queue.peek().start() < smallest.peek().start()) {
        smallest = queue;
      }
    }
    if (smallest == null) {
      return null;
    }
    Positioned head = smallest.peek();
    boolean inOrder =
        head.start() == StreamOrder.UNORDERED
            || !somePartitionEmpty
            || (expected != null && head.start() == expected);
    if (!inOrder) {
      if (gapSinceNanos == null) {
        gapSinceNanos = nowNanos;
      }
      if (nowNanos - gapSinceNanos < order.maxWait().toNanos()) {
        return null;
      }
    }
    gapSinceNanos = null;
    smallest.poll();
    if (head.start() != StreamOrder.UNORDERED) {
      expected = head.end();
    }
    return head.record();
  }
}
