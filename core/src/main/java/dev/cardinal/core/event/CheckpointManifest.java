package dev.cardinal.core.event;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.wire.ScheduleStamp;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of a checkpoint. It is written last: a checkpoint exists exactly when its
 * manifest does.
 *
 * @param schedule the run's whole schedule, or null for a run without one
 * @param stage the schedule stage in force at the checkpoint's position (resolution and
 *     regularization the last batch was trained with), or null for a run without a schedule
 * @param offsets next offset to read per input partition, keyed {@code topic-partition}
 * @param objects names of the checkpoint's objects under its prefix (params, ema, optimizer)
 * @param parentCheckpoint id of the checkpoint this run resumed from, or null
 * @param progressEpochs the run's own progress (samples trained on over the epoch size), which its
 *     learning rate and trainer-side regularization follow; null in manifests written before it
 * @param stamp the ingest stamp of the last batch trained (the data's position, which the
 *     resolution and augmentation followed); null in manifests written before it
 */
public record CheckpointManifest(
    int schemaVersion,
    String runId,
    long step,
    int epoch,
    long samplesSeen,
    String model,
    JsonNode spec,
    JsonNode recipe,
    JsonNode schedule,
    JsonNode stage,
    Map<String, Long> offsets,
    Map<String, Double> recentMetrics,
    String datasetId,
    String codeVersion,
    String parentCheckpoint,
    List<String> objects,
    long createdAtMs,
    Double progressEpochs,
    ScheduleStamp stamp) {

  public static final int SCHEMA_VERSION = 1;
}
