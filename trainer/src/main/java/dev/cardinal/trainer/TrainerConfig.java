package dev.cardinal.trainer;

import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.trainer.model.ModelPresets;
import dev.cardinal.trainer.model.ResNetSpec;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.time.Duration;

/**
 * One training run. Copies with other values come from the generated {@link
 * TrainerConfigBuilder.With} withers; each goes through the validating constructor.
 *
 * @param runId names the run; a restart with the same id resumes it
 * @param model preset name from {@link ModelPresets}
 * @param recipe optimizer, learning-rate schedule and regularization
 * @param checkpointEverySteps checkpoint cadence in optimizer steps (0: only by time)
 * @param checkpointEvery also checkpoint when this much time passed since the last one (null: only
 *     by steps)
 * @param metricsEverySteps metric cadence in optimizer steps
 * @param maxSteps stop after this many steps in total; 0 trains forever
 * @param keepLast retention: the newest checkpoints kept
 * @param keepBest retention: the best checkpoints by evaluation top-1 also kept
 * @param seed seeds weight initialization, so two runs with one seed start identical
 * @param schedule resolution and regularization over training progress; null: none (dropout and
 *     drop-path off, the recipe's label smoothing)
 * @param spec the network to train when it is not the preset as named (a sweep point's width or
 *     depth); null: the {@code model} preset. Its class count is the stream's either way
 * @param trainResolution side in pixels the run trains at: batches of another size are resized
 *     (bilinear, on the device); 0: as the batches arrive
 * @param maxSamples budget: stop, with a final checkpoint, once this many samples were trained (a
 *     resumed run counts those before the resume); 0: no budget
 * @param regularization multiplies the schedule's dropout, drop-path and label smoothing (the
 *     recipe's weight decay and label smoothing are scaled by {@link #withRegularization}); null or
 *     1: as they are
 */
@RecordBuilder
public record TrainerConfig(
    String runId,
    String model,
    Recipe recipe,
    int checkpointEverySteps,
    Duration checkpointEvery,
    int metricsEverySteps,
    long maxSteps,
    int keepLast,
    int keepBest,
    long seed,
    Schedule schedule,
    ResNetSpec spec,
    int trainResolution,
    long maxSamples,
    Double regularization)
    implements TrainerConfigBuilder.With {

  public TrainerConfig {
    if (runId == null || !runId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw new IllegalArgumentException(
          "--run must be 1-64 letters, digits, '.', '_' or '-', got '" + runId + "'");
    }
    ModelPresets.get(model); // fails with the list of known models
    if (recipe == null) {
      throw new IllegalArgumentException("a run needs a recipe");
    }
    if (checkpointEverySteps < 0 || metricsEverySteps <= 0) {
      throw new IllegalArgumentException("--checkpoint-every must be >= 0, --metrics-every > 0");
    }
    if (checkpointEverySteps == 0 && checkpointEvery == null) {
      throw new IllegalArgumentException(
          "give --checkpoint-every (steps) or --checkpoint-minutes, or both");
    }
    if (maxSteps < 0) {
      throw new IllegalArgumentException("--max-steps must be >= 0, got " + maxSteps);
    }
    if (keepLast < 1 || keepBest < 0) {
      throw new IllegalArgumentException("--keep-last must be >= 1 and --keep-best >= 0");
    }
    if (trainResolution < 0 || trainResolution > MAX_TRAIN_RESOLUTION) {
      throw new IllegalArgumentException(
          "train resolution must be 0 (as the batches arrive) or 1-"
              + MAX_TRAIN_RESOLUTION
              + " px, got "
              + trainResolution);
    }
    if (maxSamples < 0) {
      throw new IllegalArgumentException("the sample budget must be >= 0, got " + maxSamples);
    }
    if (regularization != null) {
      requireStrength(regularization);
    }
  }

  private static void requireStrength(double strength) {
    if (!(strength >= 0 && strength <= 100)) {
      throw new IllegalArgumentException(
          "regularization strength must be a multiplier in [0, 100], got " + strength);
    }
  }

  /** Largest side a run may resize its batches to. */
  public static final int MAX_TRAIN_RESOLUTION = 1024;

  /**
   * A copy whose regularization is {@code strength} times the recipe's and schedule's: weight decay
   * and label smoothing of the recipe here, the schedule's dropout, drop-path and label smoothing
   * as training reaches them. Label smoothing stays below 1.
   */
  public TrainerConfig withRegularization(double strength) {
    requireStrength(strength);
    Recipe scaled =
        recipe.with(
            r ->
                r.weightDecay(recipe.weightDecay() * strength)
                    .labelSmoothing(Math.min(0.9, recipe.labelSmoothing() * strength)));
    return with(c -> c.recipe(scaled).regularization(strength));
  }

  /** The factor on the schedule's regularization (1 when unset). */
  public double regularizationStrength() {
    return regularization == null ? 1.0 : regularization;
  }

  /** A run with the given recipe, checkpointing every N steps, keeping 3 last and 2 best. */
  public static TrainerConfig of(String runId, String model, Recipe recipe, int checkpointEvery) {
    return TrainerConfigBuilder.builder()
        .runId(runId)
        .model(model)
        .recipe(recipe)
        .checkpointEverySteps(checkpointEvery)
        .metricsEverySteps(10)
        .keepLast(3)
        .keepBest(2)
        .seed(42)
        .build();
  }

  public String consumerGroup() {
    return "cardinal-trainer-" + runId;
  }
}
