package dev.cardinal.trainer.bench;

import ai.djl.Device;
import dev.cardinal.core.Topics;
import dev.cardinal.core.embedded.EmbeddedKafka;
import dev.cardinal.core.embedded.EmbeddedS3;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.TopicAdmin;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.testing.OwnThread;
import dev.cardinal.core.testing.SyntheticImages;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.trainer.Recipe;
import dev.cardinal.trainer.TrainerConfig;
import dev.cardinal.trainer.TrainerStage;
import dev.cardinal.trainer.TrainingSession;
import dev.cardinal.trainer.model.ModelPresets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Training throughput of resnet20 at 32 px fed from a pre-filled augmented topic (the real trainer
 * stage) beside the same batches fed from memory to the same training code, alternating rounds in
 * one run; plus the data-wait fraction and the time to write a checkpoint.
 */
public final class TrainerBench {
  private static final int BATCH = 128;

  public static void main(String[] args) throws Exception {
    int batches = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int warmup = 5;
    // Deleted at exit: a run leaves its broker's log and S3 objects behind otherwise.
    Path dir = TestServices.tempDir("bench-trainer");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
        EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), 0, "bench", "bench-secret");
        CheckpointStore store = new CheckpointStore(s3.settings("bench"))) {
      store.ensureBucket();
      TopicAdmin.ensureTopics(kafka.settings());
      List<byte[]> encoded = generate(batches);
      try (KafkaSender sender = new KafkaSender(kafka.settings())) {
        for (byte[] batch : encoded) {
          sender.send(Topics.IMAGES_AUGMENTED, null, batch).block();
        }
      }
      Recipe recipe = Recipe.named("baseline").withEpochs(1000, 0);
      double bestKafka = 0;
      double bestMemory = 0;
      double dataWait = Double.NaN;
      double checkpointSeconds = Double.NaN;
      System.out.printf("%-8s %-14s %12s%n", "round", "feed", "images/s");
      for (int round = 1; round <= rounds; round++) {
        double memory = OwnThread.call(() -> memoryFed(recipe, store, encoded, warmup));
        bestMemory = Math.max(bestMemory, memory);
        System.out.printf("%-8d %-14s %12.1f%n", round, "memory", memory);
        double[] kafkaResult = kafkaFed(recipe, kafka, store, batches, warmup, round);
        if (kafkaResult[0] > bestKafka) {
          bestKafka = kafkaResult[0];
          dataWait = kafkaResult[1];
        }
        System.out.printf("%-8d %-14s %12.1f%n", round, "kafka", kafkaResult[0]);
      }
      checkpointSeconds = checkpointSeconds(recipe, store, encoded);
      System.out.printf("data-wait fraction (kafka): %.3f%n", dataWait);
      System.out.printf(
          "checkpoint write (params + optimizer + manifest): %.3f s%n", checkpointSeconds);
      System.out.printf(
          "RESULT trainer kafka_img_s=%.1f memory_img_s=%.1f ratio=%.3f data_wait=%.3f checkpoint_s=%.3f%n",
          bestKafka, bestMemory, bestKafka / bestMemory, dataWait, checkpointSeconds);
    }
  }

  private static List<byte[]> generate(int count) {
    Random random = new Random(1);
    List<byte[]> out = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      out.add(SyntheticImages.noise(random, b, BATCH, 32, 3, 10, (long) count * BATCH).encode());
    }
    return out;
  }

  /** A ResNet-20 training session on the CPU, shaped by the first of the batches. */
  private static TrainingSession session(
      String run, Recipe recipe, CheckpointStore store, List<byte[]> encoded) {
    return TrainingSession.open(
        config(run, recipe, 0),
        store,
        Device.cpu(),
        ModelPresets.get("resnet20").withNumClasses(10),
        ImageBatch.decode(encoded.get(0)),
        null);
  }

  private static TrainerConfig config(String run, Recipe recipe, long maxSteps) {
    return TrainerConfig.of(run, "resnet20", recipe, 1_000_000)
        .withMetricsEverySteps(5)
        .withMaxSteps(maxSteps)
        .withKeepBest(0);
  }

  /** The training code fed decoded batches from memory; images/s after warm-up. */
  private static double memoryFed(
      Recipe recipe, CheckpointStore store, List<byte[]> encoded, int warmup) {
    try (TrainingSession session = session("memory", recipe, store, encoded)) {
      long start = 0;
      long step = 0;
      for (byte[] bytes : encoded) {
        if (step == warmup) {
          start = System.nanoTime();
        }
        session.trainStep(ImageBatch.decode(bytes), step++, false);
      }
      return (double) (encoded.size() - warmup) * BATCH / ((System.nanoTime() - start) / 1e9);
    }
  }

  /** The trainer stage reading the topic; images/s after warm-up and its data-wait fraction. */
  private static double[] kafkaFed(
      Recipe recipe, EmbeddedKafka kafka, CheckpointStore store, int batches, int warmup, int round)
      throws Exception {
    TrainerStage stage =
        new TrainerStage(config("kafka-" + round, recipe, batches), kafka.settings(), store);
    Thread thread = new Thread(stage);
    thread.start();
    while (stage.step() < warmup && thread.isAlive()) {
      Thread.sleep(1);
    }
    long start = System.nanoTime();
    long fromStep = stage.step();
    thread.join();
    double seconds = (System.nanoTime() - start) / 1e9;
    Map<String, Double> metrics = stage.lastMetrics();
    return new double[] {
      (batches - fromStep) * BATCH / seconds, metrics.getOrDefault("data_wait_fraction", Double.NaN)
    };
  }

  private static double checkpointSeconds(
      Recipe recipe, CheckpointStore store, List<byte[]> encoded) {
    try (TrainingSession session = session("checkpoint", recipe, store, encoded)) {
      session.trainStep(ImageBatch.decode(encoded.get(0)), 0, false);
      long start = System.nanoTime();
      var snapshot = session.snapshot(1, Map.of());
      String prefix = CheckpointStore.checkpointPrefix("checkpoint", 1);
      snapshot
          .objects()
          .forEach((name, bytes) -> store.put(prefix + name, out -> out.write(bytes)));
      store.putManifest(snapshot.manifest());
      return (System.nanoTime() - start) / 1e9;
    }
  }
}
