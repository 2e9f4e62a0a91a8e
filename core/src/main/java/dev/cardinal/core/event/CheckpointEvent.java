package dev.cardinal.core.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * Announces that a checkpoint exists in S3 (its manifest was written) or was deleted by retention.
 * Key on Kafka: {@link #checkpointId()}.
 *
 * @param kind {@code created} or {@code deleted}
 * @param prefix S3 key prefix holding the checkpoint's objects, ending in {@code /}
 * @param spec the model spec as JSON (the trainer's ResNetSpec), enough to rebuild the network
 * @param trainMetrics recent training metrics (loss, accuracy) when the checkpoint was taken
 */
public record CheckpointEvent(
    int schemaVersion,
    String kind,
    String runId,
    long step,
    int epoch,
    long samplesSeen,
    String bucket,
    String prefix,
    String model,
    JsonNode spec,
    JsonNode schedule,
    Map<String, Double> trainMetrics,
    long createdAtMs) {

  public static final int SCHEMA_VERSION = 1;
  public static final String CREATED = "created";
  public static final String DELETED = "deleted";

  public String checkpointId() {
    return checkpointId(runId, step);
  }

  public static String checkpointId(String runId, long step) {
    return runId + "/" + step;
  }

  /** Announces the checkpoint that {@code manifest} describes, stored under {@code prefix}. */
  public static CheckpointEvent created(CheckpointManifest manifest, String bucket, String prefix) {
    return new CheckpointEvent(
        SCHEMA_VERSION,
        CREATED,
        manifest.runId(),
        manifest.step(),
        manifest.epoch(),
        manifest.samplesSeen(),
        bucket,
        prefix,
        manifest.model(),
        manifest.spec(),
        manifest.schedule(),
        manifest.recentMetrics(),
        manifest.createdAtMs());
  }

  /** Says that retention deleted the checkpoint under {@code prefix} at {@code deletedAtMs}. */
  public static CheckpointEvent deleted(
      String runId, long step, String bucket, String prefix, long deletedAtMs) {
    return new CheckpointEvent(
        SCHEMA_VERSION,
        DELETED,
        runId,
        step,
        0,
        0,
        bucket,
        prefix,
        null,
        null,
        null,
        Map.of(),
        deletedAtMs);
  }
}
