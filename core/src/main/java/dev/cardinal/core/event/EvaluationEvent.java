package dev.cardinal.core.event;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.List;
import java.util.Map;

/**
 * One score of one checkpoint at one resolution with one weight set. The id is deterministic
 * ({@code run/step/resolution/weights}) so redelivery never makes a duplicate.
 *
 * <p>The components after {@code evaluatedAtMs} were added later and are optional: null when the
 * writer did not know them (older evaluators, error events), so older events still read. Build one
 * with {@link #builder(String, long, int, String)}: components left unset stay null (or 0).
 *
 * @param weights {@code raw} or {@code ema}
 * @param error non-null when the checkpoint could not be scored; the metrics are then NaN
 * @param ece expected calibration error of the top-1 confidence over 15 equal-width bins
 * @param perClassAccuracy top-1 accuracy per class index; null entries for classes without images
 * @param trainResolution the resolution the run trained at when the checkpoint was taken
 * @param cropFraction share of the shorter image side kept by the centre crop before the resize
 * @param trainTop1 the trainer's recent training top-1 (with its augmentation and regularization)
 * @param trainEvalGap {@code trainTop1 - top1}
 * @param bestResolution the resolution where this checkpoint's weight set scored best
 * @param verdict the regularization verdict for the run at this checkpoint: {@code over-fitting},
 *     {@code under-fitting}, {@code balanced} or {@code unknown}
 * @param verdictReason the verdict in words, with its numbers and the advice that follows
 * @param verdictEvidence the numbers the verdict was computed from (gap, previous gaps, thresholds)
 */
@RecordBuilder
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
    long evaluatedAtMs,
    Double ece,
    List<Double> perClassAccuracy,
    Integer trainResolution,
    Double cropFraction,
    Double trainTop1,
    Double trainEvalGap,
    Integer bestResolution,
    String verdict,
    String verdictReason,
    Map<String, Double> verdictEvidence) {

  public static final int SCHEMA_VERSION = 1;

  /**
   * A builder for the score of one checkpoint at one resolution with one weight set: the schema
   * version, the deterministic id and the checkpoint's coordinates are filled in.
   */
  public static EvaluationEventBuilder builder(
      String runId, long step, int resolution, String weights) {
    return EvaluationEventBuilder.builder()
        .schemaVersion(SCHEMA_VERSION)
        .evaluationId(evaluationId(runId, step, resolution, weights))
        .runId(runId)
        .step(step)
        .resolution(resolution)
        .weights(weights);
  }

  /**
   * A builder for an evaluation that could not be scored: its metrics NaN (JSON has none, the
   * registry stores them as unknown) and {@code error} saying why.
   */
  public static EvaluationEventBuilder failure(
      String runId, long step, int resolution, String weights, String error) {
    return builder(runId, step, resolution, weights)
        .top1(Double.NaN)
        .top5(Double.NaN)
        .nll(Double.NaN)
        .error(error);
  }

  public static String evaluationId(String runId, long step, int resolution, String weights) {
    return runId + "/" + step + "/" + resolution + "/" + weights;
  }

  public String checkpointId() {
    return CheckpointEvent.checkpointId(runId, step);
  }
}
