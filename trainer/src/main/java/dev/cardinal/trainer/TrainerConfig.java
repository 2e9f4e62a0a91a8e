package dev.cardinal.trainer;

import dev.cardinal.trainer.model.ModelPresets;

/**
 * One training run.
 *
 * @param runId names the run; a restart with the same id resumes it
 * @param model preset name from {@link ModelPresets}
 * @param baseLearningRate learning rate for a batch of 256, scaled linearly by batch / 256
 * @param warmupSteps linear warm-up from 0 to the scaled rate
 * @param checkpointEverySteps checkpoint cadence in optimizer steps
 * @param metricsEverySteps metric cadence in optimizer steps
 * @param maxSteps stop after this many steps in total; 0 trains forever
 */
public record TrainerConfig(
    String runId,
    String model,
    double baseLearningRate,
    double momentum,
    double weightDecay,
    int warmupSteps,
    int checkpointEverySteps,
    int metricsEverySteps,
    long maxSteps) {

  public TrainerConfig {
    if (runId == null || !runId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw new IllegalArgumentException(
          "--run must be 1-64 letters, digits, '.', '_' or '-', got '" + runId + "'");
    }
    ModelPresets.get(model); // fails with the list of known models
    if (!(baseLearningRate > 0)) {
      throw new IllegalArgumentException("--lr must be > 0, got " + baseLearningRate);
    }
    if (momentum < 0 || momentum >= 1) {
      throw new IllegalArgumentException("--momentum must be in [0, 1), got " + momentum);
    }
    if (weightDecay < 0) {
      throw new IllegalArgumentException("--weight-decay must be >= 0, got " + weightDecay);
    }
    if (checkpointEverySteps <= 0 || metricsEverySteps <= 0) {
      throw new IllegalArgumentException("--checkpoint-every and --metrics-every must be > 0");
    }
    if (warmupSteps < 0 || maxSteps < 0) {
      throw new IllegalArgumentException("--warmup-steps and --max-steps must be >= 0");
    }
  }

  public String consumerGroup() {
    return "cardinal-trainer-" + runId;
  }

  /** Linear scaling by batch size with linear warm-up (Goyal et al.). */
  public float learningRate(long step, int batchSize) {
    double scaled = baseLearningRate * batchSize / 256.0;
    double warm = warmupSteps == 0 ? 1 : Math.min(1.0, (step + 1) / (double) warmupSteps);
    return (float) (scaled * warm);
  }
}
