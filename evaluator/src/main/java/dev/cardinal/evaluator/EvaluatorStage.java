package dev.cardinal.evaluator;

import ai.djl.Device;
import dev.cardinal.core.Backoff;
import dev.cardinal.core.Resources;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaReceiver;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.ReceivedRecord;
import dev.cardinal.core.kafka.ReceiverOptions;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.s3.ObjectStoreException;
import dev.cardinal.core.wire.WireFormatException;
import dev.cardinal.trainer.Devices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Scores every checkpoint announced on {@code cardinal.checkpoints}: rebuilds the network from the
 * event's spec, loads its raw parameters and, when the checkpoint has them, its EMA parameters from
 * S3, and evaluates the held-out images of {@code cardinal.images.eval} (cached in memory, topped
 * up as ingest adds more) at every resolution the run's schedule names plus its test resolution
 * (see {@link EvalTransform} for the crop and resize). Without a schedule it scores at the images'
 * native resolution only.
 *
 * <p>One evaluation event per checkpoint, resolution and weight set, with a deterministic id; each
 * carries the train–eval gap, the checkpoint's best resolution for that weight set and the run's
 * regularization verdict ({@link RegularizationJudge}). A checkpoint object that cannot be read
 * yields evaluation events carrying the error, and the stage goes on; a checkpoint whose manifest
 * is gone (retention) is skipped; while S3 does not answer at all, the checkpoint waits for it (an
 * outage is not the checkpoint's fault). A record that is not a checkpoint event goes to {@code
 * cardinal.evaluator.dlq}.
 *
 * <p>This class is the Kafka side of it (consume, publish, acknowledge); what becomes of one
 * checkpoint is {@link CheckpointEvaluator}'s.
 */
public final class EvaluatorStage implements AutoCloseable {
  public static final String GROUP = "cardinal-evaluator";
  public static final String RAW = "raw";
  public static final String EMA = "ema";

  /**
   * Images per forward pass. DJL keeps every intermediate array of a forward pass until its manager
   * closes, so memory grows with batch x resolution²; 128 keeps ResNet-20 at 40 px near 1 GB.
   */
  public static final int DEFAULT_BATCH_SIZE = 128;

  private static final Logger log = LoggerFactory.getLogger(EvaluatorStage.class);
  private static final Duration DLQ_WAIT = Duration.ofSeconds(30);
  private static final Duration STORE_RETRY_FIRST = Duration.ofMillis(500);
  private static final Duration STORE_RETRY_MAX = Duration.ofSeconds(15);
  private final AtomicLong storeRetries = new AtomicLong();

  private final KafkaSettings kafka;
  private final Device device = Devices.pick();
  private final CheckpointEvaluator evaluator;

  private KafkaSender sender;

  /** Null until {@link #start()}: scoring without a started stage only logs bad eval batches. */
  private volatile DeadLetters deadLetters;

  private volatile boolean closing;

  private Scheduler worker;
  private Disposable subscription;

  public EvaluatorStage(KafkaSettings kafka, CheckpointStore store) {
    this(kafka, store, DEFAULT_BATCH_SIZE);
  }

  public EvaluatorStage(KafkaSettings kafka, CheckpointStore store, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    this.kafka = kafka;
    this.evaluator = new CheckpointEvaluator(kafka, store, device, batchSize, () -> deadLetters);
  }

  public void start() {
    sender = new KafkaSender(kafka);
    deadLetters = new DeadLetters(sender, "evaluator");
    // DJL inference is blocking and memory-heavy: one checkpoint at a time per instance; scale
    // out with more instances in the group. A thread of our own, not the JVM's main thread
    // (PyTorch ran several times slower there) nor Reactor's non-blocking single().
    worker =
        Schedulers.fromExecutorService(
            Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, "evaluator");
                  t.setDaemon(true);
                  return t;
                }),
            "evaluator");
    subscription =
        new KafkaReceiver(
                kafka, ReceiverOptions.of(GROUP, Topics.CHECKPOINTS).withMaxPollRecords(1))
            .receive()
            .concatMap(record -> Mono.fromCallable(() -> handle(record)).subscribeOn(worker), 1)
            .subscribe(
                ReceivedRecord::acknowledge,
                error -> log.error("Evaluator stopped: {}", error.toString(), error));
    log.info("Evaluator consuming {} on {}", Topics.CHECKPOINTS, Devices.describe(device));
  }

  /** Times a checkpoint's scoring waited for S3 to answer again (an outage, not a bad object). */
  public long storeRetries() {
    return storeRetries.get();
  }

  /**
   * Scores a created checkpoint and publishes its evaluations before the record is acknowledged.
   *
   * @return the record once its evaluations are sent (or it was dead-lettered); null when the stage
   *     closed while S3 was down, so the record stays unacknowledged and is scored after a restart
   */
  private ReceivedRecord handle(ReceivedRecord record) {
    CheckpointEvent event;
    try {
      event = Json.fromBytes(record.value(), CheckpointEvent.class);
      if (event.runId() == null || event.kind() == null) {
        throw new WireFormatException("checkpoint event without runId or kind");
      }
    } catch (WireFormatException e) {
      log.warn("Dead-lettering unreadable checkpoint event {}: {}", record, e.getMessage());
      deadLetters.send(record, "not a checkpoint event: " + e.getMessage()).block(DLQ_WAIT);
      return record;
    }
    if (!CheckpointEvent.CREATED.equals(event.kind())) {
      return record;
    }
    List<EvaluationEvent> evaluations = evaluateOnceS3Answers(event);
    if (evaluations == null) {
      return null;
    }
    if (closing || Thread.currentThread().isInterrupted()) {
      // A shutdown cut the scoring short (reading the eval images, say): what failed says nothing
      // about the checkpoint, so nothing is published and the record stays unacknowledged.
      log.info(
          "Scoring of checkpoint {} stopped by the shutdown; it is scored when the evaluator next"
              + " starts",
          event.checkpointId());
      return null;
    }
    List<Mono<?>> sends = new ArrayList<>();
    for (EvaluationEvent evaluation : evaluations) {
      sends.add(
          sender.send(
              Topics.EVALUATIONS,
              evaluation.evaluationId().getBytes(StandardCharsets.UTF_8),
              Json.toBytes(evaluation)));
    }
    Mono.when(sends).block();
    return record;
  }

  /**
   * Scores a checkpoint, waiting out an S3 outage: an unreachable store says nothing about the
   * checkpoint, so it must not become an error evaluation (the checkpoint would count as scored and
   * never be scored again). Retries with backoff until S3 answers or the stage closes.
   *
   * @return the evaluations, or null when the stage closed first
   */
  private List<EvaluationEvent> evaluateOnceS3Answers(CheckpointEvent event) {
    Backoff backoff = new Backoff(STORE_RETRY_FIRST, STORE_RETRY_MAX);
    for (int attempt = 1; ; attempt++) {
      try {
        return evaluator.evaluate(event, true);
      } catch (ObjectStoreException e) {
        if (!e.isUnavailable()) {
          throw e;
        }
        storeRetries.incrementAndGet();
        try {
          backoff.sleepAfterFailure(
              log,
              "Scoring checkpoint " + event.checkpointId() + " (S3 did not answer)",
              attempt,
              e);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return null;
        }
      }
    }
  }

  /**
   * Scores one checkpoint; never throws for a bad checkpoint, reports it instead.
   *
   * @throws ObjectStoreException when S3 does not answer ({@link
   *     ObjectStoreException#isUnavailable()}): that says nothing about the checkpoint
   */
  public List<EvaluationEvent> evaluate(CheckpointEvent event) {
    return evaluator.evaluate(event, false);
  }

  @Override
  public void close() {
    closing = true;
    Resources.dispose(subscription, worker);
    Resources.close(sender);
  }
}
