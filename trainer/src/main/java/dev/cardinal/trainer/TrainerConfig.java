package dev.cardinal.trainer;

import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.trainer.model.ModelPresets;
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
    Schedule schedule)
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
