package dev.cardinal.core.event;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * The regularization verdict of Revisiting ResNets (Bello et al. 2021) for a run at one checkpoint,
 * with its reason and the numbers it was computed from. The evaluator's judge writes it and the
 * registry's scaling advice reads the same gaps, so the thresholds they share are defined here. Its
 * JSON fields are {@code verdict}, {@code verdictReason} and {@code verdictEvidence}, the names
 * events and views carry it under.
 *
 * @param verdict {@link #OVER_FITTING}, {@link #UNDER_FITTING}, {@link #BALANCED} or {@link
 *     #UNKNOWN}; null when the checkpoint was not judged
 * @param reason the verdict in words, with its numbers and the advice that follows
 * @param evidence the numbers the verdict was computed from (gap, previous gaps, thresholds)
 */
public record Verdict(
    @JsonProperty("verdict") String verdict,
    @JsonProperty("verdictReason") String reason,
    @JsonProperty("verdictEvidence") Map<String, Double> evidence) {

  public static final String OVER_FITTING = "over-fitting";
  public static final String UNDER_FITTING = "under-fitting";
  public static final String BALANCED = "balanced";
  public static final String UNKNOWN = "unknown";

  /** Over-fitting needs the train-eval gap to have widened by at least this much. */
  public static final double WIDENING = 0.02;

  /** A gap below this is no sign of over-fitting (and within it, of under-fitting). */
  public static final double SMALL_GAP = 0.02;

  /** Not judged: what an evaluation without a verdict reads as. */
  public static final Verdict NONE = new Verdict(null, null, null);
}
