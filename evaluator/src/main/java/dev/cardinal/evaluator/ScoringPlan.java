package dev.cardinal.evaluator;

import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.schedule.ScheduleStage;
import java.util.Comparator;
import java.util.List;

/**
 * What to score a checkpoint at (each of its evaluations records its part as an {@link
 * EvaluationPlan}): the resolutions, the crop, and the resolution nearest to the one the checkpoint
 * trained at (where its train–eval gap is measured).
 *
 * @param trainResolution the schedule's train resolution at the checkpoint's epoch; null without a
 *     schedule
 * @param testFlip average each image's prediction with its mirror image's (the schedule's {@code
 *     testFlip})
 */
record ScoringPlan(
    List<Integer> resolutions,
    double cropFraction,
    Integer trainResolution,
    int referenceResolution,
    boolean testFlip) {

  /**
   * @param schedule the run's schedule, or null: native resolution, full frame
   */
  static ScoringPlan of(Schedule schedule, int epoch, int nativeResolution) {
    if (schedule == null) {
      return new ScoringPlan(List.of(nativeResolution), 1.0, null, nativeResolution, false);
    }
    ScheduleStage stage = schedule.at(epoch);
    // Pad-and-crop training never zooms in: its model sees whole frames (see EvalTransform).
    double crop = stage.cropPadding() > 0 ? 1.0 : EvalTransform.STANDARD_CROP_FRACTION;
    List<Integer> resolutions = schedule.evaluationResolutions();
    int train = stage.trainResolution();
    int reference =
        resolutions.stream()
            .min(Comparator.comparingInt((Integer r) -> Math.abs(r - train)))
            .orElse(train);
    return new ScoringPlan(resolutions, crop, train, reference, schedule.testFlip());
  }

  /** How one of the planned evaluations is scored, as its event records it. */
  EvaluationPlan at(int resolution, String weights) {
    return new EvaluationPlan(resolution, weights, trainResolution, cropFraction, testFlip);
  }
}
