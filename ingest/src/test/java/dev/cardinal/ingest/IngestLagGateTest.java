package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestServices;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Ingest never runs more than --max-lag-batches ahead of augment, on the real broker: augment is
 * played by a consumer in its group that takes one batch at a time and measures, after each, how
 * far the producer is ahead.
 */
class IngestLagGateTest {
  private static final int MAX_LAG = 20;
  private static final int BATCHES = 200;

  @Test
  void ingestStaysWithinTheLagLimitOfItsSlowConsumer() throws Exception {
    KafkaSettings kafka = TestServices.freshKafkaWithTopics();
    // 200 batches of 8: a fast source that, ungated, writes them all in one transaction.
    SyntheticSource source = new SyntheticSource(7, 8L * BATCHES, 8, 8, 4);
    IngestStage ingest = new IngestStage(kafka, source, new IngestOptions(8, 1, 3, MAX_LAG));
    Thread producer = new Thread(ingest, "ingest-under-test");
    producer.start();

    Map<String, Object> props = kafka.consumerProperties("cardinal-augment");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    long maxAhead;
    int consumed;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(Topics.IMAGES_TRAIN));
      OneBatchAtATime augment = new OneBatchAtATime(consumer);
      Await.until(
          Duration.ofMinutes(3),
          "augment's stand-in reading all " + BATCHES + " batches",
          augment::takeWhatIsThere);
      maxAhead = augment.maxAhead;
      consumed = augment.consumed;
    } finally {
      ingest.stop();
      producer.join(30_000);
    }
    assertThat(consumed).isEqualTo(BATCHES);
    // Records: the limit plus the quarter the gate passes unmeasured (25). End offsets also count
    // one transaction marker per partition for each commit, and ingest commits before every
    // measurement, so at most 6 transactions (4 markers each) lie in that window. Before the gate
    // committed first, ingest ran the whole 200 batches ahead.
    long markers = 4L * (1 + (MAX_LAG + MAX_LAG / 4) / (MAX_LAG / 4));
    assertThat(maxAhead).isLessThanOrEqualTo(MAX_LAG + MAX_LAG / 4 + markers);
  }

  /** Augment's stand-in: commits each batch before it takes the next, and notes the lag. */
  private static final class OneBatchAtATime {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    long maxAhead;
    int consumed;

    OneBatchAtATime(KafkaConsumer<byte[], byte[]> consumer) {
      this.consumer = consumer;
    }

    /** Takes every batch there is now, one at a time; true once it has taken them all. */
    boolean takeWhatIsThere() {
      while (consumed < BATCHES) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          return false;
        }
        for (ConsumerRecord<byte[], byte[]> record : records) {
          TopicPartition tp = new TopicPartition(record.topic(), record.partition());
          committed.put(tp, record.offset() + 1);
          consumer.commitSync(Map.of(tp, new OffsetAndMetadata(record.offset() + 1)));
          consumed++;
          Set<TopicPartition> partitions = consumer.assignment();
          long ends =
              consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
          long done = partitions.stream().mapToLong(p -> committed.getOrDefault(p, 0L)).sum();
          maxAhead = Math.max(maxAhead, ends - done);
        }
      }
      return true;
    }
  }
}
