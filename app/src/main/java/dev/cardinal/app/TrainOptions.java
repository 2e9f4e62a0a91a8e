package dev.cardinal.app;

import dev.cardinal.trainer.TrainerConfig;
import picocli.CommandLine.Option;

/** One training run's settings. */
public final class TrainOptions {
  @Option(
      names = "--run",
      defaultValue = "default",
      description =
          "Run id; restarting with the same id resumes the run. Default: ${DEFAULT-VALUE}")
  String run;

  @Option(
      names = "--model",
      defaultValue = "resnet20",
      description = "Model preset (see 'cardinal models'). Default: ${DEFAULT-VALUE}")
  String model;

  @Option(
      names = "--lr",
      defaultValue = "0.1",
      description = "Learning rate for batch 256, scaled by batch/256. Default: ${DEFAULT-VALUE}")
  double learningRate;

  @Option(
      names = "--momentum",
      defaultValue = "0.9",
      description = "SGD momentum. Default: ${DEFAULT-VALUE}")
  double momentum;

  @Option(
      names = "--weight-decay",
      defaultValue = "1e-4",
      description = "Weight decay (not on BatchNorm or biases). Default: ${DEFAULT-VALUE}")
  double weightDecay;

  @Option(
      names = "--warmup-steps",
      defaultValue = "100",
      description = "Linear learning-rate warm-up. Default: ${DEFAULT-VALUE}")
  int warmupSteps;

  @Option(
      names = "--checkpoint-every",
      defaultValue = "100",
      description = "Checkpoint every N steps. Default: ${DEFAULT-VALUE}")
  int checkpointEvery;

  @Option(
      names = "--metrics-every",
      defaultValue = "10",
      description = "Publish training metrics every N steps. Default: ${DEFAULT-VALUE}")
  int metricsEvery;

  @Option(
      names = "--max-steps",
      defaultValue = "0",
      description = "Stop after N steps in total; 0 = train forever. Default: ${DEFAULT-VALUE}")
  long maxSteps;

  TrainerConfig trainerConfig() {
    try {
      return new TrainerConfig(
          run,
          model,
          learningRate,
          momentum,
          weightDecay,
          warmupSteps,
          checkpointEvery,
          metricsEvery,
          maxSteps);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }
}
