package dev.cardinal.evaluator;

import ai.djl.Device;
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
import dev.cardinal.core.wire.WireFormatException;
import dev.cardinal.trainer.Devices;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
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
 * is gone (retention) is skipped.
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

  private final KafkaSettings kafka;
  private final Device device = Devices.pick();
  private final CheckpointEvaluator evaluator;

  private KafkaSender sender;

  /** Null until {@link #start()}: scoring without a started stage only logs bad eval batches. */
  private volatile DeadLetters deadLetters;

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

  /**
   * Scores a created checkpoint and publishes its evaluations before the record is acknowledged.
   */
  private ReceivedRecord handle(ReceivedRecord record) {
    CheckpointEvent event;
    try {
      event = Json.fromBytes(record.value(), CheckpointEvent.class);
    } catch (WireFormatException e) {
      log.warn("Skipping unreadable checkpoint event {}: {}", record, e.getMessage());
      return record;
    }
    if (!CheckpointEvent.CREATED.equals(event.kind())) {
      return record;
    }
    List<Mono<?>> sends = new ArrayList<>();
    for (EvaluationEvent evaluation : evaluator.evaluate(event, true)) {
      sends.add(
          sender.send(
              Topics.EVALUATIONS,
              evaluation.evaluationId().getBytes(StandardCharsets.UTF_8),
              Json.toBytes(evaluation)));
    }
    Mono.when(sends).block();
    return record;
  }

  /** Scores one checkpoint; never throws for a bad checkpoint, reports it instead. */
  public List<EvaluationEvent> evaluate(CheckpointEvent event) {
    return evaluator.evaluate(event, false);
  }

  @Override
  public void close() {
    if (subscription != null) {
      subscription.dispose();
    }
    if (worker != null) {
      worker.dispose();
    }
    if (sender != null) {
      sender.close();
    }
  }
}
