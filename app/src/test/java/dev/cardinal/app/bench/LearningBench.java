package dev.cardinal.app.bench;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.testing.OwnThread;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.trainer.EngineThreads;
import dev.cardinal.trainer.testing.BareTraining;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Learning on real data, end to end: {@code ./cardinal run} as a user starts it (Fashion-MNIST, the
 * shipped recipe and schedule) for a fixed wall-clock budget, watched from outside through its
 * Kafka topics; beside it, before and after, the bare trainer fed from memory with batches of the
 * same shape, for the ratio of the trainer's speed inside the pipeline.
 *
 * <p>Usage: {@code LearningBench [minutes]} (default 30).
 */
public final class LearningBench {
  private static final String MODEL = "resnetrs20";
  private static final int BATCH = 128;

  /**
   * Steps of each bare leg, the first {@link #MEMORY_WARMUP} unmeasured. A fresh process trains its
   * first steps slowly (one run's bare leg read 473 img/s before the pipeline, with 20 warm-up
   * steps, and 608 after it), and the run's own first minutes are left out of its speed too.
   */
  private static final int MEMORY_STEPS = 260;

  private static final int MEMORY_WARMUP = 60;
  private static final Duration WARMUP_IN_RUN = Duration.ofMinutes(2);

  public static void main(String[] args) throws Exception {
    double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 30;
    EngineThreads.configureForThisMachine();
    Path dir = TestServices.tempDir("bench-learning");
    double memoryBefore = OwnThread.call(LearningBench::memoryLeg);
    System.out.printf("bare in-memory trainer (before): %.1f img/s%n", memoryBefore);

    CardinalProcess run =
        CardinalProcess.start(
            dir,
            List.of(
                "--model",
                MODEL,
                "--recipe",
                "fashion-mnist",
                "--schedule",
                "fashion-mnist",
                "--batch-size",
                Integer.toString(BATCH),
                // The recipe's length: the data then ends, and the run's final checkpoint is
                // scored.
                "--epochs",
                "10",
                // Each evaluation flips the test images (twice the cost) and, on two cores, slows
                // the trainer while it runs: two along the way, then the final checkpoint.
                "--checkpoint-every",
                "2000"));
    Watch watch = new Watch(KafkaSettings.of("127.0.0.1:" + run.kafkaPort()));
    long startNanos = System.nanoTime();
    long budgetNanos = (long) (minutes * 60e9);
    System.out.printf(
        "%-7s %-7s %-9s %-9s %-9s %-9s %-11s%n",
        "minute",
        "step",
        "raw_top1",
        "ema_top1",
        "best",
        "one_view",
        "train_img_s (since last row)");
    double nextReport = 1;
    try {
      while (System.nanoTime() - startNanos < budgetNanos && run.isAlive()) {
        watch.poll(Duration.ofSeconds(1));
        double elapsedMinutes = (System.nanoTime() - startNanos) / 60e9;
        if (elapsedMinutes >= nextReport) {
          watch.printRow(elapsedMinutes);
          nextReport += minutes >= 10 ? 2 : 1;
        }
      }
    } finally {
      run.close();
    }
    watch.poll(Duration.ofSeconds(2));
    watch.close();
    double elapsed = (System.nanoTime() - startNanos) / 60e9;
    watch.printRow(elapsed);

    double memoryAfter = OwnThread.call(LearningBench::memoryLeg);
    System.out.printf("bare in-memory trainer (after): %.1f img/s%n", memoryAfter);
    double memory = (memoryBefore + memoryAfter) / 2;
    double inRun = watch.trainImagesPerSecond(WARMUP_IN_RUN);
    System.out.printf(
        "trainer inside the run: %.1f img/s (mean after the first %d min); bare: %.1f img/s"
            + " (before %.1f, after %.1f; spread %.1f%%)%n",
        inRun,
        WARMUP_IN_RUN.toMinutes(),
        memory,
        memoryBefore,
        memoryAfter,
        100 * Math.abs(memoryBefore - memoryAfter) / memory);
    System.out.printf(
        "checkpoints: %d created, %d scored; most waiting or being scored at once: %d%n",
        watch.checkpoints.size(), watch.scoredAt.size(), watch.evalLagMax());
    // top1 is scored as the run's schedule says (fashion-mnist: each image averaged with its
    // mirror); top1_one_view is the same checkpoints' best on the images alone.
    System.out.printf(
        "RESULT learning top1=%.4f minutes=%.0f pipeline_ratio=%.3f eval_lag_max=%d"
            + " top1_one_view=%.4f%n",
        watch.bestTop1(), minutes, inRun / memory, watch.evalLagMax(), watch.bestSingleViewTop1());
  }

  /** The training code of a run fed batches of Fashion-MNIST's shape from memory: images/s. */
  private static double memoryLeg() {
    return BareTraining.fashionMnist(
            MODEL, "memory", BATCH, 8, MEMORY_WARMUP, MEMORY_STEPS - MEMORY_WARMUP)
        .imagesPerSecond();
  }

  /** What the run publishes, read from its topics as any outside client could. */
  private static final class Watch implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<Long, Long> checkpoints = new TreeMap<>();
    private final Map<Long, Long> scoredAt = new HashMap<>();
    private final Map<Long, Map<String, Double>> top1ByStep = new TreeMap<>();

    /** With the schedule's test-time flip: the top-1 of each image alone, beside top1ByStep. */
    private final Map<Long, Double> singleViewTop1ByStep = new TreeMap<>();

    private final List<double[]> trainSpeed = new ArrayList<>();
    private Long firstMetricMs;
    private long lastStep;

    /** The trainer report the previous row ended at: each row's speed is a mean since then. */
    private double[] lastRowSpeed;

    private boolean assigned;

    Watch(KafkaSettings kafka) {
      Map<String, Object> props = kafka.consumerProperties(null);
      props.put("isolation.level", "read_uncommitted");
      this.consumer = new KafkaConsumer<>(props);
    }

    void poll(Duration time) {
      if (!assigned) {
        assigned = tryAssign();
        if (!assigned) {
          sleep(time);
          return;
        }
      }
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(time)) {
        try {
          switch (r.topic()) {
            case Topics.CHECKPOINTS -> {
              CheckpointEvent e = Json.fromBytes(r.value(), CheckpointEvent.class);
              checkpoints.put(e.step(), e.createdAtMs());
            }
            case Topics.EVALUATIONS -> {
              EvaluationEvent e = Json.fromBytes(r.value(), EvaluationEvent.class);
              if (e.result().error() == null) {
                top1ByStep
                    .computeIfAbsent(e.step(), s -> new TreeMap<>())
                    .merge(e.result().plan().weights(), e.result().scores().top1(), Math::max);
                scoredAt.merge(e.step(), e.result().evaluatedAtMs(), Math::max);
                Double singleView = e.result().scores().singleViewTop1();
                if (singleView != null) {
                  singleViewTop1ByStep.merge(e.step(), singleView, Math::max);
                }
              }
            }
            default -> {
              MetricEvent m = Json.fromBytes(r.value(), MetricEvent.class);
              if ("trainer".equals(m.stage()) && m.values().containsKey("images_per_s")) {
                long at = r.timestamp();
                firstMetricMs = firstMetricMs == null ? at : firstMetricMs;
                trainSpeed.add(new double[] {at, m.values().get("images_per_s"), m.step()});
                lastStep = Math.max(lastStep, m.step());
              }
            }
          }
        } catch (RuntimeException e) {
          // Not an event of this schema: not the bench's concern.
        }
      }
    }

    private boolean tryAssign() {
      List<TopicPartition> partitions = new ArrayList<>();
      try {
        for (String topic : List.of(Topics.CHECKPOINTS, Topics.EVALUATIONS, Topics.METRICS)) {
          List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(2));
          if (infos == null || infos.isEmpty()) {
            return false;
          }
          infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
      } catch (RuntimeException e) {
        return false;
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      return true;
    }

    void printRow(double minute) {
      Map<String, Double> best = new HashMap<>();
      top1ByStep.values().forEach(m -> m.forEach((w, v) -> best.merge(w, v, Math::max)));
      double sinceLastRow = Double.NaN;
      if (!trainSpeed.isEmpty()) {
        double[] latest = trainSpeed.get(trainSpeed.size() - 1);
        if (lastRowSpeed != null && latest[0] > lastRowSpeed[0]) {
          sinceLastRow = imagesPerSecond(lastRowSpeed, latest);
        }
        lastRowSpeed = latest;
      }
      System.out.printf(
          "%-7.1f %-7d %-9.4f %-9.4f %-9.4f %-9.4f %-11.1f%n",
          minute,
          lastStep,
          best.getOrDefault("raw", Double.NaN),
          best.getOrDefault("ema", Double.NaN),
          bestTop1(),
          bestSingleViewTop1(),
          sinceLastRow);
    }

    double bestTop1() {
      return top1ByStep.values().stream()
          .flatMap(m -> m.values().stream())
          .mapToDouble(Double::doubleValue)
          .max()
          .orElse(Double.NaN);
    }

    /** The best top-1 of the images alone, NaN when the evaluations did not flip. */
    double bestSingleViewTop1() {
      return singleViewTop1ByStep.values().stream()
          .mapToDouble(Double::doubleValue)
          .max()
          .orElse(Double.NaN);
    }

    /**
     * The trainer's images/s after the first {@code warmup} of training: steps trained between its
     * first and last metric report in that span, over the time between them (a mean of the
     * per-window rates would weigh the fast windows too much).
     */
    double trainImagesPerSecond(Duration warmup) {
      if (firstMetricMs == null) {
        return Double.NaN;
      }
      List<double[]> after =
          trainSpeed.stream().filter(s -> s[0] >= firstMetricMs + warmup.toMillis()).toList();
      if (after.size() < 2) {
        return Double.NaN;
      }
      return imagesPerSecond(after.get(0), after.get(after.size() - 1));
    }

    /** Images trained between two trainer reports ({timestamp ms, images/s, step}), a second. */
    private static double imagesPerSecond(double[] from, double[] to) {
      return (to[2] - from[2]) * BATCH / ((to[0] - from[0]) / 1000.0);
    }

    /** The most checkpoints that were created and not yet scored at any one time. */
    int evalLagMax() {
      int most = 0;
      for (long created : checkpoints.values()) {
        int pending = 0;
        for (Map.Entry<Long, Long> c : checkpoints.entrySet()) {
          Long scored = scoredAt.get(c.getKey());
          if (c.getValue() <= created && (scored == null || scored > created)) {
            pending++;
          }
        }
        most = Math.max(most, pending);
      }
      return most;
    }

    private static void sleep(Duration time) {
      try {
        Thread.sleep(time.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      consumer.close();
    }
  }
}
