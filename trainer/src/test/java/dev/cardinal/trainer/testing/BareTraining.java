package dev.cardinal.trainer.testing;

import ai.djl.Device;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.cardinal.core.testing.SyntheticImages;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.trainer.Recipe;
import dev.cardinal.trainer.TrainerConfig;
import dev.cardinal.trainer.TrainingSession;
import dev.cardinal.trainer.model.ModelPresets;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Training outside a run, for the tests and benches of trainer and the modules above it. */
public final class BareTraining {
  private BareTraining() {}

  /** Speed over the measured steps; CPU time is this process's user and kernel time. */
  public record Speed(double imagesPerSecond, double cpuSeconds) {}

  /**
   * The training code alone, fed from memory: {@code model} with the fashion-mnist recipe on noise
   * images of Fashion-MNIST's shape (28 x 28 grey, 10 classes), cycling through {@code
   * distinctBatches} batches. What the benches compare a run's speed, or an allocator setting's,
   * with.
   *
   * @param model a model preset
   * @param warmup steps trained before the measured ones
   */
  public static Speed fashionMnist(
      String model,
      String runId,
      int batchSize,
      int distinctBatches,
      int warmup,
      int measuredSteps) {
    Random random = new Random(5);
    List<ImageBatch> batches = new ArrayList<>();
    for (int b = 0; b < distinctBatches; b++) {
      batches.add(SyntheticImages.noise(random, b, batchSize, 28, 1, 10, 60_000));
    }
    TrainerConfig config =
        TrainerConfig.of(runId, model, Recipe.named("fashion-mnist"), 1_000_000).withKeepBest(0);
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (TrainingSession session =
        TrainingSession.open(
            config,
            null,
            Device.cpu(),
            ModelPresets.get(model).withNumClasses(10),
            batches.get(0),
            null)) {
      long start = 0;
      long cpuStart = 0;
      for (int step = 0; step < warmup + measuredSteps; step++) {
        if (step == warmup) {
          start = System.nanoTime();
          cpuStart = os.getProcessCpuTime();
        }
        session.trainStep(batches.get(step % batches.size()), step, false);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      return new Speed(
          (double) measuredSteps * batchSize / seconds, (os.getProcessCpuTime() - cpuStart) / 1e9);
    }
  }

  /**
   * Cross-entropy and SGD with momentum 0.9 at a fixed rate: plain DJL training, for a test or
   * bench that needs a network trained a little (or its step timed), not the recipe's optimizer.
   */
  public static DefaultTrainingConfig plainSgd(float learningRate) {
    return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
        .optOptimizer(
            Optimizer.sgd()
                .setLearningRateTracker(Tracker.fixed(learningRate))
                .optMomentum(0.9f)
                .build());
  }
}
