package dev.cardinal.ingest;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.TopicSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;

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
    Map<String, String> extra = new HashMap<>(kafka.extra());
    extra.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // At the end of the topic a fetch would wait its default 500 ms for data that never comes.
    extra.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");
    KafkaSettings committed = new KafkaSettings(kafka.bootstrapServers(), extra);
    IngestProgress latest = IngestProgress.start(datasetId);
    Set<String> files = new HashSet<>();
    String filePrefix = datasetId + FILE_MARK;
    for (ConsumerRecord<byte[], byte[]> record :
        TopicSnapshot.read(committed, Topics.INGEST_PROGRESS, Duration.ofSeconds(30))) {
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
    return new Loaded(latest, files);
  }
}
