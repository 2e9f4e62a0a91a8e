package dev.cardinal.core.event;

import java.util.Map;

/**
 * A set of metric values reported together by one stage, e.g. the trainer's loss, learning rate and
 * throughput at a step. Key on Kafka: the run id (or stage name when not run-specific).
 *
 * @param stage the reporting stage: ingest, augment, trainer, evaluator, registry
 * @param runId the run the values belong to, or null for stage-wide values
 * @param step training step for trainer and evaluator values, else a stage-local counter
 */
public record MetricEvent(
    int schemaVersion,
    String stage,
    String runId,
    long step,
    Map<String, Double> values,
    long timestampMs) {

  public static final int SCHEMA_VERSION = 1;

  public static MetricEvent now(String stage, String runId, long step, Map<String, Double> values) {
    return new MetricEvent(
        SCHEMA_VERSION, stage, runId, step, Map.copyOf(values), System.currentTimeMillis());
  }
}
