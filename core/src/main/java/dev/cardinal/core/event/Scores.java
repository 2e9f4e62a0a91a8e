package dev.cardinal.core.event;

import java.util.List;

/**
 * What one weight set scored at one resolution. A score that is not known is null; a score the
 * evaluator could not compute (a failed evaluation) is NaN on the wire and null once stored.
 *
 * @param images how many evaluation images were scored
 * @param ece expected calibration error of the top-1 confidence over 15 equal-width bins
 * @param perClassAccuracy top-1 accuracy per class index; null entries for classes without images
 * @param singleViewTop1 when the plan averaged each image with its mirror ({@link
 *     EvaluationPlan#testFlip}), the top-1 of the image alone: what the flip added. Null otherwise
 */
public record Scores(
    long images,
    Double top1,
    Double top5,
    Double nll,
    Double ece,
    List<Double> perClassAccuracy,
    Double singleViewTop1) {

  /** No scores at all: what an event from before scores were known reads as. */
  public static final Scores NONE = new Scores(0, null, null, null, null, null, null);

  /** The scores of an evaluation that failed: NaN, which the registry stores as unknown. */
  public static final Scores FAILED = of(0, Double.NaN, Double.NaN, Double.NaN);

  /** Top-1, top-5 and NLL on {@code images} images, without calibration or per-class accuracy. */
  public static Scores of(long images, double top1, double top5, double nll) {
    return new Scores(images, top1, top5, nll, null, null, null);
  }

  /** Whether top-1 is a number: the evaluation was scored. */
  public boolean scored() {
    return top1 != null && !top1.isNaN();
  }
}
