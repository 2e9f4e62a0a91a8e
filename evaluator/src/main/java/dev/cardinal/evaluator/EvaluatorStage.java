package dev.cardinal.evaluator;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.KafkaReceiver;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.ReceivedRecord;
import dev.cardinal.core.kafka.ReceiverOptions;
import dev.cardinal.core.kafka.TopicSnapshot;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.s3.ObjectStoreException;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.WireFormatException;
import dev.cardinal.trainer.Devices;
import dev.cardinal.trainer.model.InputTensors;
import dev.cardinal.trainer.model.ParameterIO;
import dev.cardinal.trainer.model.ResNetBuilder;
import dev.cardinal.trainer.model.ResNetSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Scores every checkpoint announced on {@code cardinal.checkpoints}: rebuilds the network from the
 * event's spec, loads its parameters from S3 and evaluates the held-out images of {@code
 * cardinal.images.eval} (cached in memory, topped up as ingest adds more). One evaluation event per
 * checkpoint, resolution and weight set, with a deterministic id; a checkpoint that cannot be read
 * yields an evaluation event carrying the error, and the stage goes on.
 */
public final class EvaluatorStage implements AutoCloseable {
  public static final String GROUP = "cardinal-evaluator";
  private static final Logger log = LoggerFactory.getLogger(EvaluatorStage.class);

  private final KafkaSettings kafka;
  private final CheckpointStore store;
  private final Device device = Devices.pick();
  private final List<ImageBatch> evalImages = new ArrayList<>();
  private final Map<TopicPartition, Long> evalOffsets = new HashMap<>();
  private KafkaSender sender;
  private Scheduler worker;
  private Disposable subscription;

  public EvaluatorStage(KafkaSettings kafka, CheckpointStore store) {
    this.kafka = kafka;
    this.store = store;
  }

  public void start() {
    sender = new KafkaSender(kafka);
    // DJL inference is blocking and memory-heavy: one checkpoint at a time per instance; scale
    // out with more instances in the group.
    // A plain thread rather than Reactor's non-blocking single(): scoring blocks on S3 and Kafka.
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
    for (EvaluationEvent evaluation : evaluate(event)) {
      sender
          .send(
              Topics.EVALUATIONS,
              evaluation.evaluationId().getBytes(StandardCharsets.UTF_8),
              Json.toBytes(evaluation))
          .block();
    }
    return record;
  }

  /** Scores one checkpoint; never throws for a bad checkpoint, reports it instead. */
  public List<EvaluationEvent> evaluate(CheckpointEvent event) {
    refreshEvalImages();
    int resolution = evalImages.isEmpty() ? 0 : evalImages.get(0).height();
    String weights = "raw";
    try {
      if (!store.exists(event.prefix() + CheckpointStore.MANIFEST)) {
        log.info("Checkpoint {} no longer exists (retention); skipped", event.checkpointId());
        return List.of();
      }
      if (evalImages.isEmpty()) {
        return List.of(
            error(event, resolution, weights, "no evaluation images on " + Topics.IMAGES_EVAL));
      }
      ResNetSpec spec = Json.fromTree(event.spec(), ResNetSpec.class);
      Scores scores = score(spec, event.prefix() + "params");
      log.info(
          "Checkpoint {} at {} px: top-1 {} top-5 {} nll {} on {} images",
          event.checkpointId(),
          resolution,
          String.format("%.4f", scores.top1()),
          String.format("%.4f", scores.top5()),
          String.format("%.4f", scores.nll()),
          scores.images());
      return List.of(
          new EvaluationEvent(
              EvaluationEvent.SCHEMA_VERSION,
              EvaluationEvent.evaluationId(event.runId(), event.step(), resolution, weights),
              event.runId(),
              event.step(),
              resolution,
              weights,
              scores.images(),
              scores.top1(),
              scores.top5(),
              scores.nll(),
              null,
              System.currentTimeMillis()));
    } catch (ObjectStoreException
        | WireFormatException
        | IllegalStateException
        | IllegalArgumentException e) {
      log.warn("Cannot evaluate checkpoint {}: {}", event.checkpointId(), e.getMessage());
      return List.of(error(event, resolution, weights, e.getMessage()));
    }
  }

  private Scores score(ResNetSpec spec, String paramsKey) {
    Scores scores = new Scores();
    try (NDManager manager = NDManager.newBaseManager(device)) {
      Block block = ResNetBuilder.build(spec);
      ImageBatch first = evalImages.get(0);
      block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, first.height(), first.width()));
      try (InputStream in = store.get(paramsKey)) {
        ParameterIO.load(block, manager, in, false);
      } catch (IOException | MalformedModelException e) {
        throw new IllegalStateException(
            "parameters at " + paramsKey + " are corrupt: " + e.getMessage(), e);
      }
      ParameterStore parameters = new ParameterStore(manager, false);
      for (ImageBatch batch : evalImages) {
        try (NDManager batchManager = manager.newSubManager()) {
          NDArray x = InputTensors.images(batchManager, batch);
          NDArray logits = block.forward(parameters, new NDList(x), false).singletonOrThrow();
          scores.add(
              logits.toType(DataType.FLOAT32, false).toFloatArray(),
              batch.labels(),
              spec.numClasses());
        }
      }
    }
    return scores;
  }

  private synchronized void refreshEvalImages() {
    List<ConsumerRecord<byte[], byte[]>> records =
        TopicSnapshot.read(kafka, Topics.IMAGES_EVAL, evalOffsets, Duration.ofSeconds(60));
    for (ConsumerRecord<byte[], byte[]> record : records) {
      evalOffsets.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
      try {
        evalImages.add(ImageBatch.decode(record.value()));
      } catch (WireFormatException e) {
        log.warn(
            "Skipping unreadable eval batch at offset {}: {}", record.offset(), e.getMessage());
      }
    }
  }

  private static EvaluationEvent error(
      CheckpointEvent event, int resolution, String weights, String reason) {
    return new EvaluationEvent(
        EvaluationEvent.SCHEMA_VERSION,
        EvaluationEvent.evaluationId(event.runId(), event.step(), resolution, weights),
        event.runId(),
        event.step(),
        resolution,
        weights,
        0,
        Double.NaN,
        Double.NaN,
        Double.NaN,
        reason,
        System.currentTimeMillis());
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
