package dev.cardinal.augment;

import dev.cardinal.core.Resources;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaReceiver;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.LagGate;
import dev.cardinal.core.kafka.ReceivedRecord;
import dev.cardinal.core.kafka.ReceiverOptions;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.schedule.ScheduleStage;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.WireFormatException;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Reads raw batches from {@code cardinal.images.train}, augments them in parallel on all cores as
 * the schedule stage of each batch's stamp says, and produces the result to {@code
 * cardinal.images.augmented}. An input offset is committed only after its augmented batch is
 * acknowledged by the broker; an undecodable batch goes to {@code cardinal.augment.dlq} and the
 * stream goes on. Several instances in one consumer group split the partitions between them.
 */
public final class AugmentStage implements AutoCloseable {
  public static final String GROUP = "cardinal-augment";
  private static final Logger log = LoggerFactory.getLogger(AugmentStage.class);
  private static final String TRAINER_GROUP_PREFIX = "cardinal-trainer-";

  /** Augmented batches sent and not yet acknowledged by the broker, at most. */
  private static final int UNACKNOWLEDGED_SENDS = 32;

  /**
   * How the stage augments. Copies with other values come from the generated {@link
   * AugmentStageOptionsBuilder.With} withers.
   *
   * @param seed augmentation seed: same seed, epoch and sample id give the same pixels
   * @param maxLagBatches pause while the fastest trainer is this many augmented batches behind (0:
   *     never pause)
   * @param schedule the run's schedule; null keeps each batch's native size (fixed schedule)
   * @param rgb turn grey images into RGB
   * @param workers threads augmenting in parallel (0: one per core)
   * @param metricsInterval how often to report on {@code cardinal.metrics}
   */
  @RecordBuilder
  public record Options(
      long seed,
      long maxLagBatches,
      Schedule schedule,
      boolean rgb,
      int workers,
      Duration metricsInterval)
      implements AugmentStageOptionsBuilder.With {

    /** Seed 42, never paused, native size, channels as they come, one worker per core. */
    public static Options defaults() {
      return AugmentStageOptionsBuilder.builder()
          .seed(42)
          .maxLagBatches(0)
          .schedule(null)
          .rgb(false)
          .workers(0)
          .metricsInterval(Duration.ofSeconds(10))
          .build();
    }
  }

  private final KafkaSettings kafka;
  private final Options options;
  private final Augmenter augmenter;
  private final AtomicLong images = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicReference<ScheduleStage> lastStage = new AtomicReference<>();
  private KafkaSender sender;
  private DeadLetters deadLetters;
  private LagGate trainerGate;
  private LagGate inputLag;
  private Scheduler workers;
  private Disposable subscription;
  private Disposable metrics;

  public AugmentStage(KafkaSettings kafka, Options options) {
    this.kafka = kafka;
    this.options = options;
    this.augmenter =
        new Augmenter(options.seed(), options.schedule(), options.rgb(), new OpTimes());
  }

  /** Native size, no schedule: the walking skeleton's behaviour. */
  public AugmentStage(KafkaSettings kafka, long seed, long maxLagBatches) {
    this(kafka, Options.defaults().withSeed(seed).withMaxLagBatches(maxLagBatches));
  }

  public AugmentStage(KafkaSettings kafka, long seed, long maxLagBatches, Schedule schedule) {
    this(
        kafka,
        Options.defaults().withSeed(seed).withMaxLagBatches(maxLagBatches).withSchedule(schedule));
  }

  public long imagesAugmented() {
    return images.get();
  }

  public long batchesAugmented() {
    return batches.get();
  }

  public long deadLettered() {
    return deadLetters == null ? 0 : deadLetters.count();
  }

  public OpTimes opTimes() {
    return augmenter.times();
  }

  public void start() {
    running.set(true);
    sender = new KafkaSender(kafka);
    deadLetters = new DeadLetters(sender, "augment");
    long maxLag = options.maxLagBatches();
    trainerGate =
        new LagGate(
            kafka,
            Topics.IMAGES_AUGMENTED,
            g -> g.startsWith(TRAINER_GROUP_PREFIX),
            maxLag <= 0 ? Long.MAX_VALUE : maxLag);
    inputLag = new LagGate(kafka, Topics.IMAGES_TRAIN, GROUP::equals, Long.MAX_VALUE);
    int parallelism =
        options.workers() > 0
            ? options.workers()
            : Math.max(1, Runtime.getRuntime().availableProcessors());
    workers = Schedulers.newParallel("augment", parallelism, true);
    Flux<ReceivedRecord> input =
        new KafkaReceiver(
                kafka, ReceiverOptions.of(GROUP, Topics.IMAGES_TRAIN).withMaxPollRecords(16))
            .receive();
    subscription =
        input
            .concatMap(
                record ->
                    maxLag <= 0
                        ? Mono.just(record)
                        : Mono.fromCallable(
                                () -> {
                                  trainerGate.awaitRoom(running::get);
                                  return record;
                                })
                            .subscribeOn(Schedulers.boundedElastic()),
                1)
            // Batches are augmented side by side, one per worker plus one queued each, and leave
            // in input order. fromCallable + subscribeOn: the work runs on a worker, not on the
            // receiver's thread.
            .flatMapSequential(
                record -> Mono.fromCallable(() -> augment(record)).subscribeOn(workers),
                parallelism * 2,
                1)
            // Waiting for the broker's ack is a separate, wider window, so that a slow ack (linger,
            // a remote broker's round trip: several times a small batch's augmentation) never
            // holds a worker slot. The producer's buffer.memory bounds the bytes it holds.
            .flatMapSequential(this::produce, UNACKNOWLEDGED_SENDS, 1)
            .doOnNext(ReceivedRecord::acknowledge)
            .subscribe(
                r -> {}, error -> log.error("Augment stage stopped: {}", error.toString(), error));
    metrics =
        Flux.interval(options.metricsInterval(), Schedulers.boundedElastic())
            .scan(
                new long[] {System.nanoTime(), 0},
                (prev, tick) -> {
                  long now = System.nanoTime();
                  long done = images.get();
                  reportMetrics(done - prev[1], (now - prev[0]) / 1e9, tick);
                  return new long[] {now, done};
                })
            .subscribe(x -> {}, e -> log.warn("augment metrics stopped: {}", e.toString()));
    log.info(
        "Augment stage consuming {} with {} workers, schedule {}",
        Topics.IMAGES_TRAIN,
        parallelism,
        options.schedule() == null ? "fixed at native size" : options.schedule());
  }

  /** An input record and what became of it: its augmented batch encoded, or why not. */
  private record Augmented(ReceivedRecord input, byte[] value, int images, String badReason) {}

  /** Decodes, augments and encodes one batch; a batch that cannot be is marked for the DLQ. */
  private Augmented augment(ReceivedRecord record) {
    ImageBatch batch;
    ImageBatch augmented;
    try {
      long t0 = System.nanoTime();
      batch = ImageBatch.decode(record.value());
      augmenter.times().add("decode", System.nanoTime() - t0);
      lastStage.set(augmenter.stageFor(batch));
      augmented = augmenter.augment(batch);
    } catch (WireFormatException e) {
      return new Augmented(record, null, 0, e.getMessage());
    } catch (RuntimeException e) {
      // A batch the ops cannot handle (an impossible size) must not stop the stream either.
      log.warn(
          "Cannot augment record at {}@{}: {}",
          record.topicPartition(),
          record.offset(),
          e.toString());
      return new Augmented(record, null, 0, "cannot augment: " + e.getMessage());
    }
    long t1 = System.nanoTime();
    byte[] bytes = augmented.encode();
    augmenter.times().add("encode", System.nanoTime() - t1);
    return new Augmented(record, bytes, batch.size(), null);
  }

  /** Sends an augmented batch (or its dead letter); completes once the broker acknowledged it. */
  private Mono<ReceivedRecord> produce(Augmented result) {
    ReceivedRecord record = result.input();
    if (result.badReason() != null) {
      return deadLetters.send(record, result.badReason()).thenReturn(record);
    }
    return sender
        .send(Topics.IMAGES_AUGMENTED, record.key(), result.value())
        .doOnSuccess(
            m -> {
              images.addAndGet(result.images());
              batches.incrementAndGet();
            })
        .thenReturn(record);
  }

  private void reportMetrics(long newImages, double seconds, long tick) {
    Map<String, Double> values = new LinkedHashMap<>();
    values.put("images_per_s", newImages / Math.max(1e-9, seconds));
    values.put("images", (double) images.get());
    values.put("batches", (double) batches.get());
    values.put("dead_letters", (double) deadLetters.count());
    try {
      values.put("consumer_lag_batches", (double) inputLag.lag());
    } catch (Exception e) {
      if (!running.get()) {
        return; // closing: the admin client went away under this last report, which is dropped
      }
      log.debug("cannot measure the augment lag: {}", e.toString());
    }
    ScheduleStage stage = lastStage.get();
    if (stage != null) {
      values.put("train_resolution", (double) stage.trainResolution());
      values.put("rand_augment_magnitude", stage.randAugmentMagnitude());
    }
    augmenter.times().shares().forEach((op, share) -> values.put("time_share_" + op, share));
    MetricEvent event = MetricEvent.now("augment", null, tick, values);
    sender
        .send(Topics.METRICS, "augment".getBytes(StandardCharsets.UTF_8), Json.toBytes(event))
        .subscribe(m -> {}, e -> log.debug("metric not sent: {}", e.toString()));
  }

  @Override
  public void close() {
    running.set(false);
    Resources.dispose(metrics, subscription, workers);
    if (sender != null) {
      sender.flush();
    }
    Resources.close(trainerGate, inputLag, sender);
  }
}
