package dev.cardinal.core.event;

/**
 * One score of one checkpoint at one resolution with one weight set. The id is deterministic
 * ({@code run/step/resolution/weights}) so redelivery never makes a duplicate.
 *
 * @param weights {@code raw} or {@code ema}
 * @param error non-null when the checkpoint could not be scored; the metrics are then NaN
 */
public record EvaluationEvent(
    int schemaVersion,
    String evaluationId,
    String runId,
    long step,
    int resolution,
    String weights,
    long images,
    double top1,
    double top5,
    double nll,
    String error,
    long evaluatedAtMs) {

  public static final int SCHEMA_VERSION = 1;

  public static String evaluationId(String runId, long step, int resolution, String weights) {
    return runId + "/" + step + "/" + resolution + "/" + weights;
  }

  public String checkpointId() {
    return CheckpointEvent.checkpointId(runId, step);
  }
}
