package dev.cardinal.core.event;

/**
 * How far the evaluation's top-1 trails the trainer's, the measure of over-fitting. Both are null
 * when the checkpoint reported no training top-1.
 *
 * @param trainTop1 the trainer's recent training top-1 (with its augmentation and regularization)
 * @param trainEvalGap {@code trainTop1} minus the evaluation's top-1 of each image alone ({@link
 *     Scores#singleViewTop1} under a test-time flip, else {@link Scores#top1}), since the trainer
 *     counts one view an image too
 */
public record TrainEvalGap(Double trainTop1, Double trainEvalGap) {
  public static final TrainEvalGap NONE = new TrainEvalGap(null, null);

  /** The gap to {@code evalTop1}; {@link #NONE} when {@code trainTop1} is NaN (not reported). */
  public static TrainEvalGap of(double trainTop1, double evalTop1) {
    return Double.isNaN(trainTop1) ? NONE : new TrainEvalGap(trainTop1, trainTop1 - evalTop1);
  }
}
