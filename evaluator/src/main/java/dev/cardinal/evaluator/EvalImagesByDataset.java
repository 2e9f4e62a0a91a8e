package dev.cardinal.evaluator;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.TopicSnapshot;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.WireFormatException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The eval images of each dataset ever ingested, kept in memory and topped up from {@code
 * cardinal.images.eval} before each checkpoint: a checkpoint is scored on its own run's dataset
 * only (another dataset's labels mean other things, or exceed the model's classes).
 */
final class EvalImagesByDataset {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final Logger log = LoggerFactory.getLogger(EvalImagesByDataset.class);

  private final KafkaSettings kafka;
  private final int batchSize;

  /** Where batches that cannot join their dataset go; null while the stage is not started. */
  private final Supplier<DeadLetters> deadLetters;

  private final Map<String, EvalImages> byDataset = new LinkedHashMap<>();
  private final Map<TopicPartition, Long> offsets = new HashMap<>();

  /**
   * @param batchSize images per forward pass, what the cached images are re-batched to
   */
  EvalImagesByDataset(KafkaSettings kafka, int batchSize, Supplier<DeadLetters> deadLetters) {
    this.kafka = kafka;
    this.batchSize = batchSize;
    this.deadLetters = deadLetters;
  }

  /**
   * Reads the eval batches added since the last call.
   *
   * @return why the topic could not be read, or null
   */
  synchronized String refresh() {
    List<ConsumerRecord<byte[], byte[]>> records;
    try {
      records = TopicSnapshot.read(kafka, Topics.IMAGES_EVAL, offsets, READ_TIMEOUT);
    } catch (InterruptException e) {
      // The stage is closing (Kafka re-sets the thread's interrupt flag): not a broken topic.
      log.debug("Reading {} interrupted", Topics.IMAGES_EVAL);
      return "interrupted";
    } catch (IllegalStateException | KafkaException e) {
      log.warn("Cannot read {}: {}", Topics.IMAGES_EVAL, e.getMessage());
      return e.getMessage();
    }
    for (ConsumerRecord<byte[], byte[]> record : records) {
      offsets.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
      try {
        ImageBatch batch = ImageBatch.decode(record.value());
        byDataset.computeIfAbsent(batch.datasetId(), d -> new EvalImages(batchSize)).add(batch);
      } catch (WireFormatException | IllegalArgumentException e) {
        deadLetter(record, e.getMessage());
      }
    }
    return null;
  }

  /** An eval batch that cannot be scored with its dataset goes to the DLQ; the others stay. */
  private void deadLetter(ConsumerRecord<byte[], byte[]> record, String reason) {
    log.warn("Skipping eval batch at {}@{}: {}", record.partition(), record.offset(), reason);
    DeadLetters to = deadLetters.get();
    if (to == null) {
      return; // scoring without a started stage (tests, benches): the log line is all
    }
    to.send(
            record.topic() + "-" + record.partition() + "@" + record.offset(),
            record.key(),
            record.value(),
            reason)
        .block(Duration.ofSeconds(30));
  }

  /**
   * The eval images of a checkpoint's dataset, or null; for a manifest from before datasets were
   * recorded, the only dataset there is.
   */
  synchronized EvalImages of(String datasetId) {
    if (datasetId == null && byDataset.size() == 1) {
      return byDataset.values().iterator().next();
    }
    return datasetId == null ? null : byDataset.get(datasetId);
  }

  /** A resolution to name in a failure that happened before the checkpoint's dataset was known. */
  synchronized int anyNativeResolution() {
    return byDataset.isEmpty() ? 0 : byDataset.values().iterator().next().nativeResolution();
  }
}
