package dev.cardinal.core.event;

/**
 * How a checkpoint was scored: at which resolution, with which weight set, and for the training
 * stage it came from.
 *
 * @param weights {@code raw} or {@code ema}
 * @param trainResolution the resolution the run trained at when the checkpoint was taken, or null
 *     when not known
 * @param cropFraction share of the shorter image side kept by the centre crop before the resize, or
 *     null when not known
 * @param testFlip true when each image's prediction was averaged with its mirror image's (the
 *     schedule's {@code testFlip}), false for one view per image, null when not known (evaluators
 *     from before the field scored one view)
 */
public record EvaluationPlan(
    int resolution,
    String weights,
    Integer trainResolution,
    Double cropFraction,
    Boolean testFlip) {

  /** A plan that knows only the resolution and the weight set. */
  public static EvaluationPlan of(int resolution, String weights) {
    return new EvaluationPlan(resolution, weights, null, null, null);
  }
}
