package dev.cardinal.core.event;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The best of a checkpoint's evaluations by the {@link BestEvaluation} rule: where it was reached
 * and its top-1. Its JSON fields are {@code bestResolution}, {@code bestWeights} and {@code
 * bestTop1}; all are null (absent) when no evaluation was scored.
 */
public record BestScore(
    @JsonProperty("bestResolution") Integer resolution,
    @JsonProperty("bestWeights") String weights,
    @JsonProperty("bestTop1") Double top1) {
  public static final BestScore NONE = new BestScore(null, null, null);

  /** Where {@code best} was reached and its top-1. */
  public static BestScore of(EvaluationResult best) {
    return new BestScore(best.plan().resolution(), best.plan().weights(), best.scores().top1());
  }
}
