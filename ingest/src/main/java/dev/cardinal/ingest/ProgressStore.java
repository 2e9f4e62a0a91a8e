package dev.cardinal.ingest;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Keys and reading of the progress topic. One record per dataset ({@link IngestProgress}); a
 * watched folder adds one record per ingested file, keyed {@code <datasetId>#file:<path>}.
 */
final class ProgressStore {
  private static final String FILE_MARK = "#file:";

  private ProgressStore() {}

  record Loaded(IngestProgress progress, Set<String> files) {}

  record IngestedFile(int schemaVersion, String datasetId, String path, boolean eval) {}

  static byte[] key(String datasetId) {
    return datasetId.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] fileKey(String datasetId, String path) {
    return (datasetId + FILE_MARK + path).getBytes(StandardCharsets.UTF_8);
  }

  /** The committed progress only: an aborted transaction's record must not move the position. */
  static Loaded load(KafkaSettings kafka, String datasetId) {
    try (Reader reader = new Reader(kafka)) {
      return reader.load(datasetId);
    }
  }

  /**
   * A read_committed consumer of the progress topic, assigned to its partitions. Opening one
   * (client start, metadata) needs no fencing, so ingest opens it while its transactional producer
   * fences earlier instances; {@link #load} must come after that, or an earlier instance's open
   * transaction would hold the read back.
   */
  static final class Reader implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions;

    Reader(KafkaSettings kafka) {
      Map<String, Object> props = kafka.consumerProperties(null);
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      // At the end of the topic a fetch would wait its default 500 ms for data that never comes.
      props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
      consumer = new KafkaConsumer<>(props);
      try {
        List<PartitionInfo> infos = consumer.partitionsFor(Topics.INGEST_PROGRESS, TIMEOUT);
        partitions =
            infos == null
                ? List.of()
                : infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        consumer.assign(partitions);
      } catch (RuntimeException e) {
        consumer.close(Duration.ZERO);
        throw e;
      }
    }

    /** Every committed record of the topic, up to its end as of now. */
    Loaded load(String datasetId) {
      IngestProgress latest = IngestProgress.start(datasetId);
      Set<String> files = new HashSet<>();
      if (partitions.isEmpty()) {
        return new Loaded(latest, files);
      }
      String filePrefix = datasetId + FILE_MARK;
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (!reachedEnd(end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "reading "
                  + Topics.INGEST_PROGRESS
                  + " did not reach its end within "
                  + TIMEOUT.toSeconds()
                  + " s");
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.key() == null || record.value() == null) {
            continue;
          }
          String key = new String(record.key(), StandardCharsets.UTF_8);
          if (key.equals(datasetId)) {
            latest = Json.fromBytes(record.value(), IngestProgress.class);
          } else if (key.startsWith(filePrefix)) {
            files.add(key.substring(filePrefix.length()));
          }
        }
      }
      return new Loaded(latest, files);
    }

    private boolean reachedEnd(Map<TopicPartition, Long> end) {
      for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
        if (consumer.position(e.getKey()) < e.getValue()) {
          return false;
        }
      }
      return true;
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
