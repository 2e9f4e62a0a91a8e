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
 */
public record EvaluationPlan(
    int resolution, String weights, Integer trainResolution, Double cropFraction) {

  /** A plan that knows only the resolution and the weight set. */
  public static EvaluationPlan of(int resolution, String weights) {
    return new EvaluationPlan(resolution, weights, null, null);
  }
}
