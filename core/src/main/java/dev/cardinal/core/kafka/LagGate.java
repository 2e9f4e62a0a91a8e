package dev.cardinal.core.kafka;

import dev.cardinal.core.Backoff;
import dev.cardinal.core.config.KafkaSettings;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Backpressure across Kafka: a producer waits while the consumers of its topic are too far behind,
 * so an endless source does not fill the broker's disk ahead of training, and the data a stage
 * reads is never more than the limit ahead of what its consumers have done.
 *
 * <p>Lag is measured for the slowest matching consumer group that has members now: every running
 * consumer (each trainer of several runs) stays within the limit. A group with no members (a
 * stopped run, a trainer restarting) does not hold the producer back; when no matching group has
 * members, the fastest group that ever committed counts, and when none has committed yet,
 * everything produced counts as lag.
 *
 * <p>The limit is soft by design: measuring takes admin requests, so a producer passes without
 * measuring for up to a quarter of the limit or a second, whichever comes first. A caller that
 * batches records into transactions must commit before it waits ({@link #mayPassUnmeasured}), since
 * records in an open transaction are invisible to the consumers it waits for.
 */
public final class LagGate implements AutoCloseable {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LagGate.class);
  private static final Duration RECHECK = Duration.ofSeconds(1);

  /**
   * How long a blocked producer first waits before it measures again; each further wait doubles, up
   * to {@link #LONGEST_PAUSE}. A measurement is five or more admin requests, each waking the
   * broker's network and coordinator threads. Measured inside {@code ./cardinal run} on 2 cores, a
   * steady 250 ms made 230 of the JVM's 830 thread wake-ups a second (ingest's and augment's gates
   * are blocked most of the time), and every wake-up preempts a training step's OpenMP threads. A
   * limit worth setting is many seconds of a consumer's work, so noticing room a second or two late
   * costs nothing.
   */
  private static final Duration FIRST_PAUSE = Duration.ofMillis(250);

  private static final Duration LONGEST_PAUSE = Duration.ofSeconds(2);

  /** How long the topic's partition list is reused before it is described again. */
  private static final Duration PARTITIONS_FOR = Duration.ofSeconds(30);

  private final Admin admin;
  private final String topic;
  private final Predicate<String> groups;
  private final long maxLag;

  /** When the lag was last seen under the limit; null before the first measurement. */
  private volatile Long lastRoomNanos;

  private final AtomicLong passedSinceMeasurement = new AtomicLong();

  private List<TopicPartition> partitions;
  private long partitionsDescribedNanos;

  public LagGate(KafkaSettings settings, String topic, Predicate<String> groups, long maxLag) {
    this.admin = Admin.create(settings.adminProperties());
    this.topic = topic;
    this.groups = groups;
    this.maxLag = maxLag;
  }

  /** Records produced to the topic but not yet committed by the consumers this gate waits for. */
  public long lag() throws Exception {
    Collection<ConsumerGroupListing> listings =
        admin.listConsumerGroups().all().get(10, TimeUnit.SECONDS);
    List<String> matching =
        listings.stream().map(ConsumerGroupListing::groupId).filter(groups).toList();
    List<TopicPartition> partitions = partitions();
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
        admin
            .listOffsets(
                partitions.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())))
            .all()
            .get(10, TimeUnit.SECONDS);
    long produced =
        ends.values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
    Set<String> active = activeGroups(matching);
    long fastest = produced;
    long slowestActive = -1;
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
      fastest = Math.min(fastest, lag);
      if (active.contains(group)) {
        slowestActive = Math.max(slowestActive, lag);
      }
    }
    return slowestActive >= 0 ? slowestActive : fastest;
  }

  /** The topic's partitions, described again when the last description is old. */
  private synchronized List<TopicPartition> partitions() throws Exception {
    if (partitions == null
        || System.nanoTime() - partitionsDescribedNanos > PARTITIONS_FOR.toNanos()) {
      partitions =
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(10, TimeUnit.SECONDS)
              .get(topic)
              .partitions()
              .stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      partitionsDescribedNanos = System.nanoTime();
    }
    return partitions;
  }

  /** The groups among {@code candidates} with at least one member now. */
  private Set<String> activeGroups(List<String> candidates) throws Exception {
    if (candidates.isEmpty()) {
      return Set.of();
    }
    Map<String, ConsumerGroupDescription> descriptions =
        admin.describeConsumerGroups(candidates).all().get(10, TimeUnit.SECONDS);
    return descriptions.entrySet().stream()
        .filter(e -> !e.getValue().members().isEmpty())
        .map(Map.Entry::getKey)
        .collect(Collectors.toSet());
  }

  /**
   * Counts one record as passed when the gate need not measure yet; false when the next pass must
   * go through {@link #awaitRoom} (a transactional caller commits first).
   */
  public boolean mayPassUnmeasured() {
    Long lastRoom = lastRoomNanos;
    return maxLag == Long.MAX_VALUE
        || (lastRoom != null
            && System.nanoTime() - lastRoom < RECHECK.toNanos()
            && passedSinceMeasurement.incrementAndGet() < Math.max(1, maxLag / 4));
  }

  /**
   * Passes one record: at once while {@link #mayPassUnmeasured} allows, else after measuring,
   * blocking while the lag exceeds the limit.
   *
   * @return false if interrupted or {@code keepWaiting} turned false
   */
  public boolean awaitRoom(BooleanSupplier keepWaiting) {
    return mayPassUnmeasured() || awaitMeasuredRoom(keepWaiting);
  }

  /**
   * Measures, and blocks while the lag exceeds the limit.
   *
   * @return false if interrupted or {@code keepWaiting} turned false
   */
  public boolean awaitMeasuredRoom(BooleanSupplier keepWaiting) {
    passedSinceMeasurement.set(0);
    Backoff pause = new Backoff(FIRST_PAUSE, LONGEST_PAUSE);
    while (keepWaiting.getAsBoolean()) {
      try {
        if (lag() <= maxLag) {
          lastRoomNanos = System.nanoTime();
          return true;
        }
        pause.sleep();
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
