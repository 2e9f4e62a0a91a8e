package dev.cardinal.trainer.bench;

import ai.djl.Device;
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

/**
 * One leg of bench/allocator: resnet20 trained from memory on Fashion-MNIST-shaped batches (128 x
 * 28 x 28 x 1) in this JVM, whose allocator setting the script chose ({@code CARDINAL_MALLOC}).
 * Prints one line: {@code LEG img_s=.. cpu_s=..}, CPU time being this process's user and kernel
 * time over the measured steps.
 */
public final class AllocatorBench {
  private static final int BATCH = 128;

  public static void main(String[] args) {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    int warmup = 15;
    Random random = new Random(5);
    List<ImageBatch> batches = new ArrayList<>();
    for (int b = 0; b < 4; b++) {
      batches.add(SyntheticImages.noise(random, b, BATCH, 28, 1, 10, 60_000));
    }
    TrainerConfig config =
        TrainerConfig.of("allocator", "resnet20", Recipe.named("fashion-mnist"), 1_000_000)
            .withKeepBest(0);
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (TrainingSession session =
        new TrainingSession(
            config,
            null,
            Device.cpu(),
            ModelPresets.get("resnet20").withNumClasses(10),
            batches.get(0),
            null)) {
      long start = 0;
      long cpuStart = 0;
      for (int step = 0; step < warmup + steps; step++) {
        if (step == warmup) {
          start = System.nanoTime();
          cpuStart = os.getProcessCpuTime();
        }
        session.trainStep(batches.get(step % batches.size()), step, false);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "LEG img_s=%.1f cpu_s=%.2f%n",
          steps * BATCH / seconds, (os.getProcessCpuTime() - cpuStart) / 1e9);
    }
  }
}
