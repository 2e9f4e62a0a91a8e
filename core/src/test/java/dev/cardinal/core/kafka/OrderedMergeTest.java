package dev.cardinal.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The merge's release rule, on records whose value is their [start, end) as two longs. */
class OrderedMergeTest {
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);
  private static final List<TopicPartition> BOTH = List.of(P0, P1);
  private static final long SECOND = 1_000_000_000L;

  private final OrderedMerge merge =
      new OrderedMerge(
          new StreamOrder(
              v -> v.length < 16 ? StreamOrder.UNORDERED : ByteBuffer.wrap(v).getLong(0),
              v -> ByteBuffer.wrap(v).getLong(8),
              Duration.ofSeconds(2)));

  private static ConsumerRecord<byte[], byte[]> span(TopicPartition p, long start, long end) {
    byte[] value = ByteBuffer.allocate(16).putLong(start).putLong(end).array();
    return new ConsumerRecord<>(p.topic(), p.partition(), start, null, value);
  }

  private static long start(ConsumerRecord<byte[], byte[]> r) {
    return ByteBuffer.wrap(r.value()).getLong(0);
  }

  @Test
  void releasesTheSmallestWhenEveryPartitionHasARecordWaiting() {
    merge.add(P1, span(P1, 10, 20));
    assertThat(merge.next(BOTH, 0)).as("P0 may still bring an earlier one").isNull();
    merge.add(P0, span(P0, 0, 10));
    assertThat(start(merge.next(BOTH, 0))).isEqualTo(0);
    // 10 is what the stream expects next: no need to wait for P0.
    assertThat(start(merge.next(BOTH, 0))).isEqualTo(10);
    assertThat(merge.next(BOTH, 0)).isNull();
  }

  @Test
  void waitsForAGapAtMostMaxWaitThenGoesOn() {
    merge.add(P0, span(P0, 0, 10));
    merge.add(P1, span(P1, 10, 20));
    assertThat(start(merge.next(BOTH, 0))).isEqualTo(0);
    assertThat(start(merge.next(BOTH, 0))).isEqualTo(10);
    // 20..30 was lost upstream; 30 sits in P1 and P0 is empty.
    merge.add(P1, span(P1, 30, 40));
    assertThat(merge.next(BOTH, 5 * SECOND)).isNull();
    assertThat(merge.next(BOTH, 6 * SECOND)).isNull();
    assertThat(start(merge.next(BOTH, 7 * SECOND))).isEqualTo(30);
  }

  @Test
  void aRecordWithoutPositionGoesOutAtOnce() {
    merge.add(P1, new ConsumerRecord<>("t", 1, 0, null, new byte[] {1, 2, 3}));
    assertThat(merge.next(BOTH, 0)).isNotNull();
  }

  @Test
  void aRevokedPartitionsRecordsAreForgotten() {
    merge.add(P0, span(P0, 0, 10));
    merge.drop(List.of(P0));
    assertThat(merge.hasWaiting(P0)).isFalse();
    assertThat(merge.waitingCount()).isZero();
  }
}
