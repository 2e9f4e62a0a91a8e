package dev.cardinal.core.event;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * What one evaluation of a checkpoint found: how it was scored, the scores (or why there are none),
 * the train-eval gap, the best resolution of its weight set and the run's verdict. The event on
 * Kafka and the registry's view both carry it with its fields at their top level, so the
 * evaluation's JSON schema is defined here once.
 *
 * <p>Only the resolution, the weights, the image count, top-1, top-5, NLL, {@code error} and {@code
 * evaluatedAtMs} were there from the start: the other fields were added later and are optional,
 * null when the writer did not know them (older evaluators, failed evaluations), and an absent part
 * reads as its empty value ({@link Scores#NONE}, {@link TrainEvalGap#NONE}, {@link Verdict#NONE}),
 * so older events still read.
 *
 * <p>Build one with {@link #builder(EvaluationPlan)}, or {@link #failure} for one that failed.
 *
 * @param error non-null when the checkpoint could not be scored; the scores are then NaN or null
 * @param bestResolution the resolution where this checkpoint's weight set scored best
 */
@RecordBuilder
public record EvaluationResult(
    @JsonUnwrapped EvaluationPlan plan,
    @JsonUnwrapped Scores scores,
    String error,
    long evaluatedAtMs,
    @JsonUnwrapped TrainEvalGap gap,
    Integer bestResolution,
    @JsonUnwrapped Verdict regularization) {

  public EvaluationResult {
    scores = scores == null ? Scores.NONE : scores;
    gap = gap == null ? TrainEvalGap.NONE : gap;
    regularization = regularization == null ? Verdict.NONE : regularization;
  }

  /** A builder for an evaluation scored by {@code plan}; the parts left unset stay empty. */
  public static EvaluationResultBuilder builder(EvaluationPlan plan) {
    return EvaluationResultBuilder.builder().plan(plan);
  }

  /**
   * A builder for an evaluation that could not be scored: its scores NaN (JSON has none, the
   * registry stores them as unknown) and {@code error} saying why.
   */
  public static EvaluationResultBuilder failure(EvaluationPlan plan, String error) {
    return builder(plan).scores(Scores.FAILED).error(error);
  }
}
