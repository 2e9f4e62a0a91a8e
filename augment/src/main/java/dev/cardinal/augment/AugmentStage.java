package dev.cardinal.augment;

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
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.WireFormatException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Reads raw batches from {@code cardinal.images.train}, augments every image in parallel on all
 * cores, and produces the result to {@code cardinal.images.augmented}. An input offset is committed
 * only after its augmented batch is acknowledged by the broker; an undecodable batch goes to {@code
 * cardinal.augment.dlq} and the stream goes on.
 */
public final class AugmentStage implements AutoCloseable {
  public static final String GROUP = "cardinal-augment";
  private static final Logger log = LoggerFactory.getLogger(AugmentStage.class);
  private static final String TRAINER_GROUP_PREFIX = "cardinal-trainer-";

  private final KafkaSettings kafka;
  private final long seed;
  private final long maxLagBatches;
  private final CropFlip cropFlip = new CropFlip(4);
  private final AtomicLong images = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private KafkaSender sender;
  private DeadLetters deadLetters;
  private LagGate gate;
  private Scheduler workers;
  private Disposable subscription;

  /**
   * @param maxLagBatches pause while the fastest trainer is this many augmented batches behind (0:
   *     never pause)
   */
  public AugmentStage(KafkaSettings kafka, long seed, long maxLagBatches) {
    this.kafka = kafka;
    this.seed = seed;
    this.maxLagBatches = maxLagBatches;
  }

  public long imagesAugmented() {
    return images.get();
  }

  public void start() {
    sender = new KafkaSender(kafka);
    deadLetters = new DeadLetters(sender, "augment");
    gate =
        new LagGate(
            kafka,
            Topics.IMAGES_AUGMENTED,
            g -> g.startsWith(TRAINER_GROUP_PREFIX),
            maxLagBatches <= 0 ? Long.MAX_VALUE : maxLagBatches);
    int parallelism = Math.max(1, Runtime.getRuntime().availableProcessors());
    workers = Schedulers.newParallel("augment", parallelism, true);
    long startedNanos = System.nanoTime();
    Flux<ReceivedRecord> input =
        new KafkaReceiver(
                kafka, ReceiverOptions.of(GROUP, Topics.IMAGES_TRAIN).withMaxPollRecords(16))
            .receive();
    subscription =
        input
            .concatMap(
                record ->
                    maxLagBatches <= 0
                        ? Mono.just(record)
                        : Mono.fromCallable(
                                () -> {
                                  gate.awaitRoom(() -> !subscription.isDisposed());
                                  return record;
                                })
                            .subscribeOn(Schedulers.boundedElastic()),
                1)
            .flatMapSequential(record -> process(record).subscribeOn(workers), parallelism * 2, 1)
            .doOnNext(
                record -> {
                  record.acknowledge();
                  long done = batches.incrementAndGet();
                  if (done % 50 == 0) {
                    reportMetrics(done, startedNanos);
                  }
                })
            .subscribe(
                r -> {}, error -> log.error("Augment stage stopped: {}", error.toString(), error));
    log.info("Augment stage consuming {} with {} workers", Topics.IMAGES_TRAIN, parallelism);
  }

  /** Augments and produces one batch; completes once the broker acknowledged it. */
  private Mono<ReceivedRecord> process(ReceivedRecord record) {
    ImageBatch batch;
    try {
      batch = ImageBatch.decode(record.value());
    } catch (WireFormatException e) {
      return deadLetters.send(record, e.getMessage()).thenReturn(record);
    }
    ImageBatch augmented = augment(batch);
    return sender
        .send(Topics.IMAGES_AUGMENTED, record.key(), augmented.encode())
        .doOnSuccess(m -> images.addAndGet(batch.size()))
        .thenReturn(record);
  }

  ImageBatch augment(ImageBatch batch) {
    byte[] out = new byte[batch.pixels().length];
    int imageBytes = batch.imageBytes();
    for (int i = 0; i < batch.size(); i++) {
      cropFlip.apply(
          batch.pixels(),
          i * imageBytes,
          out,
          i * imageBytes,
          batch.height(),
          batch.width(),
          batch.channels(),
          CropFlip.randomFor(seed, batch.stamp().epoch(), batch.sampleIds()[i]));
    }
    return batch.withPixels(batch.height(), batch.width(), batch.channels(), out);
  }

  private void reportMetrics(long done, long startedNanos) {
    double seconds = (System.nanoTime() - startedNanos) / 1e9;
    MetricEvent event =
        MetricEvent.now(
            "augment",
            null,
            done,
            Map.of(
                "images_per_s",
                images.get() / seconds,
                "dead_letters",
                (double) deadLetters.count()));
    sender
        .send(Topics.METRICS, "augment".getBytes(StandardCharsets.UTF_8), Json.toBytes(event))
        .subscribe(m -> {}, e -> log.debug("metric not sent: {}", e.toString()));
  }

  @Override
  public void close() {
    if (subscription != null) {
      subscription.dispose();
    }
    if (workers != null) {
      workers.dispose();
    }
    if (gate != null) {
      gate.close();
    }
    if (sender != null) {
      sender.flush();
      sender.close();
    }
  }
}
