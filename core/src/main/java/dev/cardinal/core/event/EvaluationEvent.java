package dev.cardinal.core.event;

import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * One score of one checkpoint at one resolution with one weight set, as the evaluator publishes it
 * on {@code cardinal.evaluations}. The id is deterministic ({@code run/step/resolution/weights}) so
 * redelivery never makes a duplicate. The {@link EvaluationResult}'s fields stand at the top level
 * of the JSON, beside the checkpoint's coordinates, as they always have.
 */
public record EvaluationEvent(
    int schemaVersion,
    String evaluationId,
    String runId,
    long step,
    @JsonUnwrapped EvaluationResult result) {

  public static final int SCHEMA_VERSION = 1;

  /** The event of {@code result} for the checkpoint {@code runId/step}, its id derived. */
  public static EvaluationEvent of(String runId, long step, EvaluationResult result) {
    EvaluationPlan plan = result.plan();
    return new EvaluationEvent(
        SCHEMA_VERSION,
        evaluationId(runId, step, plan.resolution(), plan.weights()),
        runId,
        step,
        result);
  }

  public static String evaluationId(String runId, long step, int resolution, String weights) {
    return runId + "/" + step + "/" + resolution + "/" + weights;
  }

  public String checkpointId() {
    return CheckpointEvent.checkpointId(runId, step);
  }
}
