package dev.cardinal.trainer;

import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.trainer.model.ModelPresets;
import java.time.Duration;

/**
 * One training run.
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
    Schedule schedule) {

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
    return new TrainerConfig(runId, model, recipe, checkpointEvery, null, 10, 0, 3, 2, 42, null);
  }

  public TrainerConfig withMaxSteps(long steps) {
    return new TrainerConfig(
        runId,
        model,
        recipe,
        checkpointEverySteps,
        checkpointEvery,
        metricsEverySteps,
        steps,
        keepLast,
        keepBest,
        seed,
        schedule);
  }

  public TrainerConfig withMetricsEvery(int steps) {
    return new TrainerConfig(
        runId,
        model,
        recipe,
        checkpointEverySteps,
        checkpointEvery,
        steps,
        maxSteps,
        keepLast,
        keepBest,
        seed,
        schedule);
  }

  public TrainerConfig withRetention(int last, int best) {
    return new TrainerConfig(
        runId,
        model,
        recipe,
        checkpointEverySteps,
        checkpointEvery,
        metricsEverySteps,
        maxSteps,
        last,
        best,
        seed,
        schedule);
  }

  public TrainerConfig withSchedule(Schedule newSchedule) {
    return new TrainerConfig(
        runId,
        model,
        recipe,
        checkpointEverySteps,
        checkpointEvery,
        metricsEverySteps,
        maxSteps,
        keepLast,
        keepBest,
        seed,
        newSchedule);
  }

  public String consumerGroup() {
    return "cardinal-trainer-" + runId;
  }
}
