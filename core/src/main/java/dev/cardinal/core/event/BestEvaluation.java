package dev.cardinal.core.event;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import java.util.function.Function;

/**
 * The one rule for which of several evaluations is best, so that the evaluator's best resolution of
 * a weight set, the registry's best evaluation of a checkpoint and the registry's best checkpoint
 * of a run cannot disagree on a tie: higher top-1; then lower NLL (the more confident of two
 * equally accurate models); then the smaller resolution (as good, and cheaper to serve); then the
 * weight set whose name sorts first; then the later step (the longer trained of two equal
 * checkpoints), so the answer never depends on the order the candidates came in. A missing or NaN
 * score ranks below every number. The registry states the same order in SQL ({@code
 * ListingSql.BEST_FIRST}); a test there pins the two together.
 */
public final class BestEvaluation {
  private BestEvaluation() {}

  /**
   * What the rule looks at in an evaluation.
   *
   * @param step the checkpoint's step: only decides between evaluations of different checkpoints
   */
  public record Score(double top1, Double nll, int resolution, String weights, long step) {
    /** A score among the evaluations of one checkpoint, where the step decides nothing. */
    public Score(double top1, Double nll, int resolution, String weights) {
      this(top1, nll, resolution, weights, 0);
    }
  }

  /** What the rule looks at in an evaluation's result, among the evaluations of one checkpoint. */
  public static Score scoreOf(EvaluationResult result) {
    Double top1 = result.scores().top1();
    return new Score(
        top1 == null ? Double.NaN : top1,
        result.scores().nll(),
        result.plan().resolution(),
        result.plan().weights());
  }

  /** Worse before better: the best candidate is the maximum. */
  public static final Comparator<Score> WORST_TO_BEST =
      Comparator.comparingDouble((Score s) -> orElse(s.top1(), Double.NEGATIVE_INFINITY))
          .thenComparingDouble(s -> -orElse(s.nll(), Double.POSITIVE_INFINITY))
          .thenComparingInt(s -> -s.resolution())
          .thenComparing(Score::weights, Comparator.nullsFirst(Comparator.<String>reverseOrder()))
          .thenComparingLong(Score::step);

  /** The best of {@code candidates} by their scores; empty when there are none. */
  public static <T> Optional<T> among(Collection<T> candidates, Function<T, Score> score) {
    return candidates.stream().max(Comparator.comparing(score, WORST_TO_BEST));
  }

  private static double orElse(Double value, double missing) {
    return value == null || value.isNaN() ? missing : value;
  }
}
