package dev.cardinal.core.kafka;

import dev.cardinal.core.config.KafkaSettings;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Backpressure across Kafka: a producer waits while the consumers of its topic are too far behind,
 * so an endless source does not fill the broker's disk ahead of training.
 *
 * <p>Lag is measured for the fastest matching consumer group (a stalled run must not stop the
 * others); when no matching group has committed yet, everything produced counts as lag.
 */
public final class LagGate implements AutoCloseable {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LagGate.class);
  private static final Duration RECHECK = Duration.ofSeconds(1);
  private final Admin admin;
  private final String topic;
  private final Predicate<String> groups;
  private final long maxLag;

  /** When the lag was last seen under the limit; null before the first measurement. */
  private volatile Long lastRoomNanos;

  private final java.util.concurrent.atomic.AtomicLong passedSinceMeasurement =
      new java.util.concurrent.atomic.AtomicLong();

  public LagGate(KafkaSettings settings, String topic, Predicate<String> groups, long maxLag) {
    this.admin = Admin.create(settings.adminProperties());
    this.topic = topic;
    this.groups = groups;
    this.maxLag = maxLag;
  }

  /** Records produced to the topic but not yet committed by the fastest matching group. */
  public long lag() throws Exception {
    Collection<ConsumerGroupListing> listings =
        admin.listConsumerGroups().all().get(10, TimeUnit.SECONDS);
    List<String> matching =
        listings.stream().map(ConsumerGroupListing::groupId).filter(groups).toList();
    List<TopicPartition> partitions =
        admin
            .describeTopics(List.of(topic))
            .allTopicNames()
            .get(10, TimeUnit.SECONDS)
            .get(topic)
            .partitions()
            .stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
        admin
            .listOffsets(
                partitions.stream()
                    .collect(
                        java.util.stream.Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())))
            .all()
            .get(10, TimeUnit.SECONDS);
    long produced =
        ends.values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
    long best = produced;
    for (String group : matching) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(10, TimeUnit.SECONDS);
      long lag = 0;
      for (TopicPartition tp : partitions) {
        OffsetAndMetadata offset = committed.get(tp);
        lag += ends.get(tp).offset() - (offset == null ? 0 : offset.offset());
      }
      best = Math.min(best, lag);
    }
    return best;
  }

  /**
   * Blocks while the lag exceeds the limit.
   *
   * @return false if interrupted or {@code keepWaiting} turned false
   */
  public boolean awaitRoom(java.util.function.BooleanSupplier keepWaiting) {
    Long lastRoom = lastRoomNanos;
    if (maxLag == Long.MAX_VALUE
        || (lastRoom != null
            && System.nanoTime() - lastRoom < RECHECK.toNanos()
            && passedSinceMeasurement.incrementAndGet() < Math.max(1, maxLag / 4))) {
      // The limit is soft: measuring at most once a second, or after a quarter of the limit
      // passed, keeps admin requests off the hot path and bounds the overshoot for fast
      // producers.
      return true;
    }
    passedSinceMeasurement.set(0);
    Duration pause = Duration.ofMillis(250);
    while (keepWaiting.getAsBoolean()) {
      try {
        if (lag() <= maxLag) {
          lastRoomNanos = System.nanoTime();
          return true;
        }
        Thread.sleep(pause.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (Exception e) {
        // A slow admin answer is no reason to stop producing: go on and measure next time.
        log.warn("Cannot measure the lag on {}: {}", topic, e.toString());
        lastRoomNanos = System.nanoTime();
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(2));
  }
}
