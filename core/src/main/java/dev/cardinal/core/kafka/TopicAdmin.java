package dev.cardinal.core.kafka;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates Cardinal's topics with partition counts and sizes that fit large image batches. */
public final class TopicAdmin {

  /** Image topics are split so that several augment instances share the work. */
  public static final int IMAGE_PARTITIONS = 4;

  /**
   * Bytes kept per partition of the streamed image topics. Ingest replays its dataset forever, so
   * these topics grow at the training rate; the broker's default of seven days would keep hundreds
   * of GB of consumed batches. The lag gates hold every producer within 200 batches (at most 16 MB
   * each, over 4 partitions: 800 MB a partition) of its fastest consumer, so deleting beyond 1 GiB
   * a partition never deletes a batch before it was read. Not covered: a stage started with its
   * gate off (--max-lag-batches 0), and a second training run more than this far behind the fastest
   * one, which then skips ahead (its consumer logs the offset reset).
   */
  public static final long IMAGE_RETENTION_BYTES = 1L << 30;

  /**
   * {@code max.message.bytes} of the dead-letter topics. A dead letter carries a record of another
   * topic plus headers, so it can be larger than the record was: {@link DeadLetters} cuts values to
   * fit under this and the producer's limit.
   */
  public static final int DEAD_LETTER_MAX_MESSAGE_BYTES = KafkaSettings.MAX_RECORD_BYTES;

  private TopicAdmin() {}

  public static List<NewTopic> cardinalTopics() {
    Map<String, String> large =
        Map.of(
            TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(KafkaSettings.MAX_RECORD_BYTES));
    Map<String, String> streamed =
        with(
            large,
            Map.of(
                TopicConfig.RETENTION_BYTES_CONFIG,
                String.valueOf(IMAGE_RETENTION_BYTES),
                // Retention deletes whole segments: smaller ones keep the disk use near the limit.
                TopicConfig.SEGMENT_BYTES_CONFIG,
                String.valueOf(128 << 20)));
    // Written once and read from the start by every new evaluator or registry rebuild: kept.
    Map<String, String> keptForever = Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1");
    Map<String, String> largeKeptForever = with(large, keptForever);
    List<NewTopic> topics = new ArrayList<>();
    topics.add(new NewTopic(Topics.IMAGES_TRAIN, IMAGE_PARTITIONS, (short) 1).configs(streamed));
    topics.add(new NewTopic(Topics.IMAGES_EVAL, 1, (short) 1).configs(largeKeptForever));
    topics.add(
        new NewTopic(Topics.IMAGES_AUGMENTED, IMAGE_PARTITIONS, (short) 1).configs(streamed));
    topics.add(new NewTopic(Topics.CHECKPOINTS, 4, (short) 1).configs(keptForever));
    topics.add(new NewTopic(Topics.EVALUATIONS, 1, (short) 1).configs(keptForever));
    // One partition: its order is the arbiter between an alias and retention's deletion intent.
    topics.add(new NewTopic(Topics.ANNOTATIONS, 1, (short) 1).configs(keptForever));
    topics.add(new NewTopic(Topics.METRICS, 1, (short) 1));
    topics.add(new NewTopic(Topics.SWEEPS, 1, (short) 1).configs(keptForever));
    topics.add(
        new NewTopic(Topics.INGEST_PROGRESS, 1, (short) 1)
            .configs(
                Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
    for (String stage : Topics.STAGES) {
      topics.add(
          new NewTopic(Topics.deadLetters(stage), 1, (short) 1)
              .configs(
                  Map.of(
                      TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                      String.valueOf(DEAD_LETTER_MAX_MESSAGE_BYTES))));
    }
    return topics;
  }

  private static Map<String, String> with(Map<String, String> base, Map<String, String> more) {
    Map<String, String> merged = new HashMap<>(base);
    merged.putAll(more);
    return Map.copyOf(merged);
  }

  /**
   * Creates every missing Cardinal topic; existing ones are left as they are.
   *
   * @throws IllegalStateException with what to check when the cluster cannot be reached
   */
  public static void ensureTopics(KafkaSettings settings) {
    Admin admin = Admin.create(settings.adminProperties());
    try {
      Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
      List<NewTopic> missing =
          cardinalTopics().stream().filter(t -> !existing.contains(t.name())).toList();
      if (missing.isEmpty()) {
        return;
      }
      try {
        admin.createTopics(missing).all().get(15, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      awaitReady(admin, missing.stream().map(NewTopic::name).toList(), Duration.ofSeconds(15));
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "Kafka at "
              + settings.bootstrapServers()
              + " did not answer within 15 s: check the address (--kafka or CARDINAL_KAFKA)"
              + " and that the broker is running",
          e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "Kafka at " + settings.bootstrapServers() + " refused to create topics: " + e.getCause(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } finally {
      // Bounded: a plain close() waits for requests still retrying against a dead address.
      admin.close(Duration.ofSeconds(2));
    }
  }

  /**
   * Waits until every partition of the topics answers on its leader. A topic is created before the
   * broker serves it; an idempotent producer that writes in that gap gets NOT_LEADER and, with
   * several large batches in flight, can end in OUT_OF_ORDER_SEQUENCE retries until its delivery
   * timeout (seen with Kafka 4.4 on a fresh topic).
   *
   * @throws TimeoutException when some partition is still not served after {@code timeout}
   */
  public static void awaitReady(Admin admin, Collection<String> topics, Duration timeout)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicDescription topic :
            admin.describeTopics(topics).allTopicNames().get(5, TimeUnit.SECONDS).values()) {
          for (TopicPartitionInfo partition : topic.partitions()) {
            latest.put(
                new TopicPartition(topic.name(), partition.partition()), OffsetSpec.latest());
          }
        }
        // ListOffsets is answered by the partition leader's log, so it fails until it is ready.
        admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException)) {
          throw new IllegalStateException(
              "topics " + topics + " are not usable: " + e.getCause(), e);
        }
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("topics " + topics + " not served within " + timeout);
      }
      Thread.sleep(20);
    }
  }
}
