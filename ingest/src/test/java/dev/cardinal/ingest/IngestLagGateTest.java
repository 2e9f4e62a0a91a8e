package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.kafka.TopicAdmin;
import dev.cardinal.core.testing.TestServices;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
    KafkaSettings kafka = TestServices.freshKafka();
    TopicAdmin.ensureTopics(kafka);
    // 200 batches of 8: a fast source that, ungated, writes them all in one transaction.
    SyntheticSource source = new SyntheticSource(7, 8L * BATCHES, 8, 8, 4);
    IngestStage ingest = new IngestStage(kafka, source, new IngestOptions(8, 1, 3, MAX_LAG));
    Thread producer = new Thread(ingest, "ingest-under-test");
    producer.start();

    Map<String, Object> props = kafka.consumerProperties("cardinal-augment");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    long maxAhead = 0;
    int consumed = 0;
    try (KafkaConsumer<byte[], byte[]> augment = new KafkaConsumer<>(props)) {
      augment.subscribe(List.of(Topics.IMAGES_TRAIN));
      Map<TopicPartition, Long> committed = new HashMap<>();
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (consumed < BATCHES && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : augment.poll(Duration.ofMillis(200))) {
          TopicPartition tp = new TopicPartition(record.topic(), record.partition());
          committed.put(tp, record.offset() + 1);
          augment.commitSync(Map.of(tp, new OffsetAndMetadata(record.offset() + 1)));
          consumed++;
          Set<TopicPartition> partitions = augment.assignment();
          long ends =
              augment.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
          long done = partitions.stream().mapToLong(p -> committed.getOrDefault(p, 0L)).sum();
          maxAhead = Math.max(maxAhead, ends - done);
        }
      }
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
}
