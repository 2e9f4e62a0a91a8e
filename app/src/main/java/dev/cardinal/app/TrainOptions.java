package dev.cardinal.app;

import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.trainer.Recipe;
import dev.cardinal.trainer.RecipeBuilder;
import dev.cardinal.trainer.TrainerConfig;
import dev.cardinal.trainer.TrainerConfigBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/**
 * One training run's settings: a named recipe with optional overrides. Options left unset keep the
 * recipe's value.
 */
public final class TrainOptions {
  @Option(
      names = "--run",
      description =
          "Run id; restarting with the same id resumes the run. 'cardinal train' takes several,"
              + " each paired with the --model at the same position. Default: default")
  List<String> runs = new ArrayList<>();

  @Option(
      names = "--model",
      description =
          "Model preset of the run (see 'cardinal models'); one for all runs or one per --run."
              + " Default: resnet20")
  List<String> models = new ArrayList<>();

  @Option(
      names = "--recipe",
      defaultValue = "baseline",
      description =
          "Training recipe: baseline (step LR, wd 1e-4), resnet-rs (cosine, warm-up, wd 4e-5,"
              + " label smoothing 0.1, EMA) or fashion-mnist (10 epochs: cosine, momentum 0.9,"
              + " wd 5e-4, label smoothing 0.1, EMA; with --schedule fashion-mnist and --model"
              + " resnetrs20). Default:"
              + " ${DEFAULT-VALUE}")
  String recipe;

  @Option(
      names = "--recipe-epochs",
      description =
          "Length of the run in epochs for the LR schedule. Default: the recipe's (90 / 350)")
  Double epochs;

  @Option(
      names = "--warmup-epochs",
      description = "Linear learning-rate warm-up in epochs. Default: the recipe's (0 / 5)")
  Double warmupEpochs;

  @Option(
      names = "--lr",
      description = "Learning rate for batch 256, scaled by batch/256. Default: the recipe's (0.1)")
  Double learningRate;

  @Option(names = "--momentum", description = "SGD momentum. Default: the recipe's (0.9)")
  Double momentum;

  @Option(
      names = "--nesterov",
      negatable = true,
      description = "Nesterov momentum. Default: the recipe's (off)")
  Boolean nesterov;

  @Option(
      names = "--weight-decay",
      description = "Weight decay, not on BatchNorm or biases. Default: the recipe's (1e-4 / 4e-5)")
  Double weightDecay;

  @Option(
      names = "--label-smoothing",
      description = "Label smoothing. Default: the recipe's (0 / 0.1)")
  Double labelSmoothing;

  @Option(
      names = "--ema-decay",
      description = "EMA of weights, 0 = off. Default: the recipe's (0 / 0.9999)")
  Double emaDecay;

  @Option(
      names = "--checkpoint-every",
      defaultValue = "500",
      description =
          "Checkpoint every N steps (0 = by time only). Each checkpoint is scored on every eval"
              + " image (Fashion-MNIST: 10,000 at each schedule resolution, raw and EMA weights,"
              + " ~15-25 s on 2 cores, twice that when the schedule flips test images), so keep"
              + " checkpoints further apart than that. Default:"
              + " ${DEFAULT-VALUE}")
  int checkpointEvery;

  @Option(
      names = "--checkpoint-minutes",
      description = "Also checkpoint when this many minutes passed since the last. Default: off")
  Double checkpointMinutes;

  @Option(
      names = "--keep-last",
      defaultValue = "3",
      description = "Retention: newest checkpoints kept. Default: ${DEFAULT-VALUE}")
  int keepLast;

  @Option(
      names = "--keep-best",
      defaultValue = "2",
      description =
          "Retention: best checkpoints by eval top-1 also kept. Default: ${DEFAULT-VALUE}")
  int keepBest;

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

  @Option(
      names = "--schedule",
      description =
          "Resolution and regularization over training: a preset (fixed, progressive, resnet-rs,"
              + " fixed-<px>) or a YAML/JSON file. Default: none (native resolution, no extra"
              + " regularization)")
  String schedule;

  /** The schedule named by --schedule, or null; a bad one is a user error naming the line. */
  Schedule schedule() {
    if (schedule == null || schedule.isBlank()) {
      return null;
    }
    try {
      return Schedule.resolve(schedule);
    } catch (IllegalArgumentException e) {
      throw new UserError("--schedule " + schedule + ": " + e.getMessage());
    }
  }

  @Option(
      names = "--init-seed",
      defaultValue = "42",
      description = "Seed of the weight initialization. Default: ${DEFAULT-VALUE}")
  long seed;

  /** One config per --run, paired with the --model at the same position (or the only one). */
  List<TrainerConfig> trainerConfigs() {
    List<String> runIds = runs.isEmpty() ? List.of("default") : runs;
    List<String> presets = models.isEmpty() ? List.of("resnet20") : models;
    if (presets.size() != 1 && presets.size() != runIds.size()) {
      throw new UserError(
          runIds.size()
              + " --run but "
              + presets.size()
              + " --model: give one --model for all runs or one per --run");
    }
    if (runIds.stream().distinct().count() < runIds.size()) {
      throw new UserError("each --run must name a different run id");
    }
    List<TrainerConfig> configs = new ArrayList<>();
    for (int i = 0; i < runIds.size(); i++) {
      configs.add(trainerConfig(runIds.get(i), presets.get(presets.size() == 1 ? 0 : i)));
    }
    return configs;
  }

  private TrainerConfig trainerConfig(String run, String model) {
    try {
      return TrainerConfigBuilder.builder()
          .runId(run)
          .model(model)
          .recipe(recipeWithOverrides())
          .checkpointEverySteps(checkpointEvery)
          .checkpointEvery(
              checkpointMinutes == null
                  ? null
                  : Duration.ofMillis((long) (checkpointMinutes * 60_000)))
          .metricsEverySteps(metricsEvery)
          .maxSteps(maxSteps)
          .keepLast(keepLast)
          .keepBest(keepBest)
          .seed(seed)
          .schedule(schedule())
          .build();
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }

  /**
   * The named recipe with the flags that were given; the others keep the recipe's values. The
   * recipe is validated once, with all overrides in place.
   */
  private Recipe recipeWithOverrides() {
    RecipeBuilder overridden = Recipe.named(recipe).with();
    ifGiven(epochs, overridden::epochs);
    ifGiven(warmupEpochs, overridden::warmupEpochs);
    ifGiven(learningRate, overridden::baseLearningRate);
    ifGiven(momentum, overridden::momentum);
    ifGiven(nesterov, overridden::nesterov);
    ifGiven(weightDecay, overridden::weightDecay);
    ifGiven(labelSmoothing, overridden::labelSmoothing);
    ifGiven(emaDecay, overridden::emaDecay);
    return overridden.build();
  }

  /** Passes a flag's value on when the flag was given (picocli leaves an unset one null). */
  private static <T> void ifGiven(T flag, Consumer<T> override) {
    if (flag != null) {
      override.accept(flag);
    }
  }
}
