package dev.cardinal.trainer;

import ai.djl.Device;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaReceiver;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.ReceivedRecord;
import dev.cardinal.core.kafka.ReceiverOptions;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.schedule.ScheduleStage;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.StreamPosition;
import dev.cardinal.core.wire.WireFormatException;
import dev.cardinal.trainer.model.ConvolutionKernels;
import dev.cardinal.trainer.model.ModelPresets;
import dev.cardinal.trainer.model.ResNetSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * Trains one run on {@code cardinal.images.augmented}: uint8 batches become normalized tensors on
 * the device, the recipe's optimizer and loss update the network and its weight average, and
 * checkpoints (params, EMA, optimizer state, then the manifest) go to S3 off the training thread
 * before a checkpoint event is published. A restart with the same run id resumes from the newest
 * complete checkpoint, seeking the input to the offsets its manifest recorded.
 */
public final class TrainerStage implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(TrainerStage.class);
  static final String PARAMS = "params";
  static final String EMA = "ema";
  static final String OPTIMIZER = "optimizer";

  /**
   * Longest wait for a batch missing from stream order (dead-lettered upstream, or a partition
   * whose producer stalled) before training goes on without it: the tolerance of the ordering.
   */
  static final Duration ORDER_WAIT = Duration.ofSeconds(2);

  /** A stream quiet this long has ended or paused: its unsaved steps are checkpointed. */
  static final Duration DATA_PAUSE = Duration.ofSeconds(15);

  private static final Duration IDLE_CHECK = Duration.ofSeconds(1);
  private static final Object IDLE_TICK = new Object();

  /** How long a stopping run waits for its last checkpoints to reach S3. */
  private static final Duration FINAL_UPLOAD_WAIT = Duration.ofSeconds(60);

  private final TrainerConfig config;
  private final KafkaSettings kafka;
  private final CheckpointStore store;
  private final Duration uploadBackoff;
  private final int uploadAttempts;
  private final Sinks.Empty<Void> stopSignal = Sinks.empty();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile long step;
  private volatile long samplesSeen;
  private volatile boolean budgetReached;
  private volatile long samplesTrainedHere;
  private volatile long computeNanos;
  private volatile Map<String, Double> lastMetrics = Map.of();
  private volatile Consumer<Map<String, Double>> onReport = values -> {};

  public TrainerStage(TrainerConfig config, KafkaSettings kafka, CheckpointStore store) {
    this(config, kafka, store, Duration.ofSeconds(1), 12);
  }

  /**
   * @param uploadBackoff first wait before retrying a failed checkpoint upload (doubles, at most a
   *     minute)
   * @param uploadAttempts attempts before a checkpoint is reported as given up
   */
  public TrainerStage(
      TrainerConfig config,
      KafkaSettings kafka,
      CheckpointStore store,
      Duration uploadBackoff,
      int uploadAttempts) {
    this.config = config;
    this.kafka = kafka;
    this.store = store;
    this.uploadBackoff = uploadBackoff;
    this.uploadAttempts = uploadAttempts;
    chooseCpuKernels(List.of(config));
  }

  /**
   * Chooses oneDNN's CPU kernels for the networks these runs will train (see {@link
   * ConvolutionKernels}); call it for every run of a process before any stage runs a convolution. A
   * run naming an unknown preset is left out here: its stage says so when it starts.
   */
  public static void chooseCpuKernels(Collection<TrainerConfig> configs) {
    Map<String, ResNetSpec> networks = new LinkedHashMap<>();
    for (TrainerConfig config : configs) {
      try {
        networks.put(config.spec() != null ? config.runId() : config.model(), baseSpec(config));
      } catch (IllegalArgumentException unknownPreset) {
        // reported by the stage
      }
    }
    ConvolutionKernels.capForTraining(networks);
  }

  public long step() {
    return step;
  }

  /** The values of the latest metric report. */
  public Map<String, Double> lastMetrics() {
    return lastMetrics;
  }

  /** Samples this run has trained on, those before a resume included. */
  public long samplesSeen() {
    return samplesSeen;
  }

  /**
   * Images per second of this stage's own training steps: the images it trained over the time its
   * steps computed (holding the engine, and the optimizer update), not counting waits for data or
   * for other runs' turns at the engine. NaN before its first step.
   */
  public double computeImagesPerSecond() {
    long nanos = computeNanos;
    return nanos == 0 ? Double.NaN : samplesTrainedHere / (nanos / 1e9);
  }

  /** Whether the run ended because it trained its sample budget ({@code maxSamples}). */
  public boolean budgetReached() {
    return budgetReached;
  }

  /**
   * Also tells {@code listener} each metric report, on the training thread right after it is
   * published (a sweep turns them into progress events); it must not block.
   */
  public TrainerStage onReport(Consumer<Map<String, Double>> listener) {
    this.onReport = listener;
    return this;
  }

  /** Asks the loop to finish its current step and return; waits for it. */
  public void stop() throws InterruptedException {
    stopSignal.tryEmitEmpty();
    stopped.await();
  }

  @Override
  public void run() {
    try {
      train();
    } finally {
      stopped.countDown();
    }
  }

  private void train() {
    Device device = Devices.pick();
    CheckpointManifest resumeFrom = latestCheckpoint();
    Map<TopicPartition, Long> startOffsets = new HashMap<>();
    if (resumeFrom != null) {
      samplesSeen = resumeFrom.samplesSeen();
      if (withinBudget(samplesSeen)) {
        log.info(
            "Run {} trained its budget of {} samples already (step {})",
            config.runId(),
            config.maxSamples(),
            resumeFrom.step());
        step = resumeFrom.step();
        budgetReached = true;
        return;
      }
      resumeFrom.offsets().forEach((tp, offset) -> startOffsets.put(parsePartition(tp), offset));
      step = resumeFrom.step();
      log.info(
          "Run {} resumes from step {} ({} input partitions)",
          config.runId(),
          step,
          startOffsets.size());
    }
    log.info(
        "Run {} trains {} with recipe {} on {}",
        config.runId(),
        config.model(),
        config.recipe().name(),
        Devices.describe(device));

    ReceiverOptions options =
        ReceiverOptions.of(config.consumerGroup(), Topics.IMAGES_AUGMENTED)
            .withStartOffsets(startOffsets)
            .withMaxPollRecords(4)
            .withOrder(StreamPosition.order(ORDER_WAIT));
    // One element at a time from either source: the ticks let a quiet stream be noticed (and its
    // last steps checkpointed), and a prefetch of 1 keeps the receiver's demand at what the loop
    // takes.
    Iterable<Object> input =
        Flux.merge(
                1,
                new KafkaReceiver(kafka, options).receive(),
                Flux.interval(IDLE_CHECK).onBackpressureDrop().map(tick -> IDLE_TICK))
            .takeUntilOther(stopSignal.asMono())
            .toIterable(4);

    try (KafkaSender sender = new KafkaSender(kafka)) {
      DeadLetters deadLetters = new DeadLetters(sender, "trainer");
      Retention retention =
          new Retention(config.runId(), config.keepLast(), config.keepBest(), kafka, store, sender);
      TrainingSession session = null;
      CheckpointUploader uploader =
          new CheckpointUploader(
              store, sender, uploadBackoff, uploadAttempts, manifest -> applyRetention(retention));
      long checkpointedStep = step;
      Metrics metrics = new Metrics();
      try {
        Iterator<Object> items = input.iterator();
        long lastCheckpointNanos = System.nanoTime();
        long waitStart = System.nanoTime();
        while (items.hasNext()) {
          Object item = items.next();
          if (item == IDLE_TICK) {
            // A finite dataset has ended, or ingest paused: save the steps trained since the last
            // checkpoint, so they are kept and scored instead of waiting for data that may never
            // come.
            if (session != null
                && step > checkpointedStep
                && System.nanoTime() - waitStart >= DATA_PAUSE.toNanos()) {
              log.info(
                  "Run {}: no data for {} s, checkpointing step {}",
                  config.runId(),
                  DATA_PAUSE.toSeconds(),
                  step);
              uploader.submit(session.snapshot(step, metrics.recent));
              checkpointedStep = step;
              lastCheckpointNanos = System.nanoTime();
            }
            continue;
          }
          ReceivedRecord record = (ReceivedRecord) item;
          if (session != null && session.alreadyTrained(record.topicPartition(), record.offset())) {
            record.acknowledge();
            continue;
          }
          long waited = System.nanoTime() - waitStart;
          ImageBatch batch;
          try {
            batch = ImageBatch.decode(record.value());
            if (session == null) {
              ResNetSpec spec =
                  resumeFrom != null
                      ? Json.fromTree(resumeFrom.spec(), ResNetSpec.class)
                      : specFor(batch);
              session = TrainingSession.open(config, store, device, spec, batch, resumeFrom);
            }
            session.requireFits(batch);
          } catch (WireFormatException e) {
            deadLetter(deadLetters, record, e.getMessage());
            waitStart = System.nanoTime();
            continue;
          }
          long stepStart = System.nanoTime();
          boolean report = (step + 1) % config.metricsEverySteps() == 0;
          TrainingSession.StepResult result;
          try {
            result = session.trainStep(batch, step, report);
          } catch (RuntimeException e) {
            // One batch the network cannot take (an impossible size, say) must not end the run:
            // its record goes to the DLQ with the reason, and training goes on with the next.
            log.warn(
                "Run {}: batch at {} failed its training step: {}",
                config.runId(),
                record,
                e.toString());
            deadLetter(deadLetters, record, "training step failed: " + e.getMessage());
            waitStart = System.nanoTime();
            continue;
          }
          step++;
          session.consumed(record.topicPartition(), record.offset() + 1, batch);
          samplesSeen = session.samplesSeen();
          samplesTrainedHere += batch.size();
          computeNanos = session.computeNanos();
          record.acknowledge();
          metrics.add(result, batch.size(), waited, System.nanoTime() - stepStart);
          if (report) {
            Map<String, Double> values =
                metrics.drain(result, batch, session.progressEpochs(), session.computeNanos());
            values.put("checkpoints_given_up", (double) uploader.givenUp());
            lastMetrics = values;
            publishMetrics(sender, values);
            onReport.accept(values);
          }
          boolean byTime =
              config.checkpointEvery() != null
                  && System.nanoTime() - lastCheckpointNanos >= config.checkpointEvery().toNanos();
          boolean bySteps =
              config.checkpointEverySteps() > 0 && step % config.checkpointEverySteps() == 0;
          if (byTime || bySteps) {
            uploader.submit(session.snapshot(step, metrics.recent));
            checkpointedStep = step;
            lastCheckpointNanos = System.nanoTime();
          }
          if (config.maxSteps() > 0 && step >= config.maxSteps()) {
            log.info("Run {} reached --max-steps {}", config.runId(), config.maxSteps());
            break;
          }
          if (withinBudget(samplesSeen)) {
            // The final checkpoint below makes the budget's last step the run's scored result.
            log.info(
                "Run {} trained its budget of {} samples at step {}",
                config.runId(),
                config.maxSamples(),
                step);
            budgetReached = true;
            break;
          }
          waitStart = System.nanoTime();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        // Leaving the loop does not cancel the subscription: end it, so this consumer leaves the
        // group instead of holding partitions that a restarted trainer needs.
        stopSignal.tryEmitEmpty();
        try {
          if (session != null && step > checkpointedStep) {
            // A clean stop (Ctrl-C, --max-steps) keeps the last steps: one final checkpoint.
            log.info("Run {}: final checkpoint at step {}", config.runId(), step);
            uploader.submit(session.snapshot(step, metrics.recent));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          try {
            uploader.close(FINAL_UPLOAD_WAIT);
          } finally {
            // After the uploader: its last upload still applies retention.
            retention.close();
          }
          if (session != null) {
            session.close();
          }
        }
      }
    }
  }

  private boolean withinBudget(long samples) {
    return config.maxSamples() > 0 && samples >= config.maxSamples();
  }

  private static void deadLetter(DeadLetters deadLetters, ReceivedRecord record, String reason) {
    deadLetters.send(record, reason).block();
    record.acknowledge();
  }

  private static ResNetSpec baseSpec(TrainerConfig config) {
    return config.spec() != null ? config.spec() : ModelPresets.get(config.model());
  }

  /**
   * The preset for the stream's class count, built with the schedule's largest dropout and
   * drop-path rates (the blocks must exist before a schedule can raise them).
   */
  private ResNetSpec specFor(ImageBatch batch) {
    ResNetSpec spec = baseSpec(config).withNumClasses(batch.classes());
    Schedule schedule = config.schedule();
    if (schedule != null) {
      spec =
          spec.withDropPathRate(
                  Math.max(spec.dropPathRate(), schedule.maximum(ScheduleStage::dropPathRate)))
              .withDropoutRate(
                  Math.max(spec.dropoutRate(), schedule.maximum(ScheduleStage::dropoutRate)));
    }
    return spec;
  }

  private void applyRetention(Retention retention) {
    try {
      retention.apply();
    } catch (RuntimeException e) {
      log.warn("Run {}: retention skipped this time: {}", config.runId(), e.getMessage());
    }
  }

  private CheckpointManifest latestCheckpoint() {
    for (Long partial : store.incompleteCheckpoints(config.runId())) {
      log.info("Removing incomplete checkpoint {} of run {}", partial, config.runId());
      store.deletePrefix(CheckpointStore.checkpointPrefix(config.runId(), partial));
    }
    List<Long> complete = store.completeCheckpoints(config.runId());
    if (complete.isEmpty()) {
      return null;
    }
    return store.getManifest(config.runId(), complete.get(complete.size() - 1));
  }

  static TopicPartition parsePartition(String key) {
    int dash = key.lastIndexOf('-');
    return new TopicPartition(key.substring(0, dash), Integer.parseInt(key.substring(dash + 1)));
  }

  private void publishMetrics(KafkaSender sender, Map<String, Double> values) {
    MetricEvent event = MetricEvent.now("trainer", config.runId(), step, values);
    sender
        .send(Topics.METRICS, config.runId().getBytes(StandardCharsets.UTF_8), Json.toBytes(event))
        .subscribe(m -> {}, e -> log.warn("metric not sent: {}", e.toString()));
  }

  /** Loss, accuracy and timing since the last report. */
  private static final class Metrics {
    private double lossSum;
    private double correct;
    private long images;
    private long steps;
    private long waitNanos;
    private long stepNanos;
    private long computeNanosAtStart;
    private long windowStart = System.nanoTime();
    private Map<String, Double> recent = Map.of();

    void add(TrainingSession.StepResult r, int batchSize, long waited, long stepTime) {
      lossSum += r.loss();
      correct += r.correct();
      images += batchSize;
      steps++;
      waitNanos += waited;
      stepNanos += stepTime;
    }

    /**
     * @param computeNanos the session's compute time so far ({@link
     *     TrainingSession#computeNanos()}), for the images/s of this run's own steps
     */
    Map<String, Double> drain(
        TrainingSession.StepResult last,
        ImageBatch batch,
        double progressEpochs,
        long computeNanos) {
      long now = System.nanoTime();
      double seconds = (now - windowStart) / 1e9;
      Map<String, Double> values = new HashMap<>();
      if (computeNanos > computeNanosAtStart) {
        // Images over the time this run held the engine: runs that take turns compare fairly.
        values.put("compute_images_per_s", images / ((computeNanos - computeNanosAtStart) / 1e9));
      }
      computeNanosAtStart = computeNanos;
      values.put("loss", lossSum / Math.max(1, steps));
      values.put("train_top1", correct / Math.max(1, images));
      values.put("learning_rate", (double) last.learningRate());
      values.put("images_per_s", images / Math.max(1e-9, seconds));
      values.put("step_time_ms", stepNanos / 1e6 / Math.max(1, steps));
      values.put("data_wait_fraction", waitNanos / (double) Math.max(1, waitNanos + stepNanos));
      values.put("gradient_norm", last.gradientNorm());
      // The run's own progress (what its learning rate follows) and the data's stamp beside it.
      values.put("epoch", progressEpochs);
      values.put("stamp_epoch", batch.stamp().progressEpochs());
      recent = Map.copyOf(values);
      lossSum = 0;
      correct = 0;
      images = 0;
      steps = 0;
      waitNanos = 0;
      stepNanos = 0;
      windowStart = now;
      return values;
    }
  }
}
