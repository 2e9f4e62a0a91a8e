package dev.cardinal.core.kafka;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;

/**
 * How a {@link KafkaReceiver} reads. Copies with other values come from the generated {@link
 * ReceiverOptionsBuilder.With} withers; null or 0 takes the constructor's default.
 *
 * @param groupId consumer group; instances with the same group split the partitions
 * @param topics topics to subscribe to
 * @param commitInterval commit acknowledged offsets at least this often
 * @param commitBatchSize ... or as soon as this many records were acknowledged since the last one
 * @param startOffsets where to start in given partitions instead of the group's committed offset (a
 *     trainer resuming from a checkpoint's manifest)
 * @param maxPollRecords most records one poll returns; bounds what is buffered beyond demand
 * @param order merge the partitions back into stream order; null emits records as they arrive
 */
@RecordBuilder
public record ReceiverOptions(
    String groupId,
    List<String> topics,
    Duration commitInterval,
    int commitBatchSize,
    Map<TopicPartition, Long> startOffsets,
    int maxPollRecords,
    StreamOrder order)
    implements ReceiverOptionsBuilder.With {

  public ReceiverOptions {
    Objects.requireNonNull(groupId, "groupId");
    topics = List.copyOf(topics);
    if (topics.isEmpty()) {
      throw new IllegalArgumentException("a receiver needs at least one topic");
    }
    commitInterval = commitInterval == null ? Duration.ofSeconds(1) : commitInterval;
    commitBatchSize = commitBatchSize <= 0 ? 1000 : commitBatchSize;
    startOffsets = Map.copyOf(startOffsets == null ? Map.of() : startOffsets);
    maxPollRecords = maxPollRecords <= 0 ? 100 : maxPollRecords;
  }

  public static ReceiverOptions of(String groupId, String... topics) {
    return ReceiverOptionsBuilder.builder().groupId(groupId).topics(List.of(topics)).build();
  }
}
