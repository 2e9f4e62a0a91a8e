package dev.cardinal.evaluator;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.EngineException;
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
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaReceiver;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.ReceivedRecord;
import dev.cardinal.core.kafka.ReceiverOptions;
import dev.cardinal.core.kafka.TopicSnapshot;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.s3.ObjectStoreException;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.schedule.ScheduleStage;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.WireFormatException;
import dev.cardinal.trainer.Devices;
import dev.cardinal.trainer.EngineThreads;
import dev.cardinal.trainer.model.ParameterIO;
import dev.cardinal.trainer.model.ResNetBuilder;
import dev.cardinal.trainer.model.ResNetSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
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

  static final String PARAMS_OBJECT = "params";
  static final String EMA_OBJECT = "ema";
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STORE_RETRY_FIRST = Duration.ofMillis(500);
  private static final Duration STORE_RETRY_MAX = Duration.ofSeconds(15);
  private static final Logger log = LoggerFactory.getLogger(EvaluatorStage.class);

  private final KafkaSettings kafka;
  private final CheckpointStore store;
  private final Device device = Devices.pick();
  private final int batchSize;

  /**
   * The eval images of each dataset ever ingested: a checkpoint is scored on its own run's dataset
   * only (another dataset's labels mean other things, or exceed the model's classes).
   */
  private final Map<String, EvalImages> evalImagesByDataset = new LinkedHashMap<>();

  private final Map<TopicPartition, Long> evalOffsets = new HashMap<>();
  private final Map<TopicPartition, Long> evaluationOffsets = new HashMap<>();
  private final RegularizationJudge judge = new RegularizationJudge();

  /** Ids of the evaluations without error on {@code cardinal.evaluations}, by any instance. */
  private final Set<String> scoredEvaluations = new HashSet<>();

  private final AtomicLong storeRetries = new AtomicLong();
  private KafkaSender sender;
  private Scheduler worker;
  private Disposable subscription;

  public EvaluatorStage(KafkaSettings kafka, CheckpointStore store) {
    this(kafka, store, DEFAULT_BATCH_SIZE);
  }

  public EvaluatorStage(KafkaSettings kafka, CheckpointStore store, int batchSize) {
    this.kafka = kafka;
    this.store = store;
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    this.batchSize = batchSize;
  }

  /** Times a checkpoint's scoring waited for S3 to answer again (an outage, not a bad object). */
  public long storeRetries() {
    return storeRetries.get();
  }

  public void start() {
    sender = new KafkaSender(kafka);
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
      new DeadLetters(sender, "evaluator")
          .send(record, "not a checkpoint event: " + e.getMessage())
          .block(Duration.ofSeconds(30));
      return record;
    }
    if (!CheckpointEvent.CREATED.equals(event.kind())) {
      return record;
    }
    List<EvaluationEvent> evaluations = evaluateOnceS3Answers(event);
    if (evaluations == null) {
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
    Duration backoff = STORE_RETRY_FIRST;
    for (int attempt = 1; ; attempt++) {
      try {
        return evaluate(event, true);
      } catch (ObjectStoreException e) {
        if (!e.isUnavailable()) {
          throw e;
        }
        storeRetries.incrementAndGet();
        log.warn(
            "S3 did not answer while scoring checkpoint {} (attempt {}): {}; retrying in {} ms",
            event.checkpointId(),
            attempt,
            e.getMessage(),
            backoff.toMillis());
        try {
          Thread.sleep(backoff.toMillis());
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return null;
        }
        backoff =
            backoff.multipliedBy(2).compareTo(STORE_RETRY_MAX) > 0
                ? STORE_RETRY_MAX
                : backoff.multipliedBy(2);
      }
    }
  }

  /** What to score a checkpoint at. */
  record Plan(
      List<Integer> resolutions,
      double cropFraction,
      Integer trainResolution,
      int referenceResolution) {

    /**
     * @param schedule the run's schedule, or null: native resolution, full frame
     */
    static Plan of(Schedule schedule, int epoch, int nativeResolution) {
      if (schedule == null) {
        return new Plan(List.of(nativeResolution), 1.0, null, nativeResolution);
      }
      ScheduleStage stage = schedule.at(epoch);
      double crop = stage.cropPadding() > 0 ? 1.0 : EvalTransform.STANDARD_CROP_FRACTION;
      List<Integer> resolutions = schedule.evaluationResolutions();
      int train = stage.trainResolution();
      int reference =
          resolutions.stream()
              .min(Comparator.comparingInt((Integer r) -> Math.abs(r - train)))
              .orElse(train);
      return new Plan(resolutions, crop, train, reference);
    }
  }

  /**
   * Scores one checkpoint; never throws for a bad checkpoint, reports it instead.
   *
   * @throws ObjectStoreException when S3 does not answer ({@link
   *     ObjectStoreException#isUnavailable()}): that says nothing about the checkpoint
   */
  public List<EvaluationEvent> evaluate(CheckpointEvent event) {
    return evaluate(event, false);
  }

  /**
   * @param skipIfScored return nothing when every evaluation the plan calls for is already on
   *     {@code cardinal.evaluations} without error: a checkpoint event redelivered after a
   *     rebalance (its offset was not committed yet) is then not scored a second time
   */
  private List<EvaluationEvent> evaluate(CheckpointEvent event, boolean skipIfScored) {
    String imagesProblem = refreshEvalImages();
    int nativeResolution = anyNativeResolution();
    CheckpointManifest manifest;
    try {
      manifest = store.getManifest(event.runId(), event.step());
    } catch (ObjectStoreException e) {
      if (e.isNotFound()) {
        log.info("Checkpoint {} no longer exists (retention); skipped", event.checkpointId());
        return List.of();
      }
      if (e.isUnavailable()) {
        throw e;
      }
      return failed(event, List.of(nativeResolution), List.of(RAW), null, e.getMessage());
    } catch (WireFormatException e) {
      return failed(
          event,
          List.of(nativeResolution),
          List.of(RAW),
          null,
          "manifest of " + event.checkpointId() + " is corrupt: " + e.getMessage());
    }
    List<String> weightSets = new ArrayList<>(List.of(RAW));
    if (manifest.objects() != null && manifest.objects().contains(EMA_OBJECT)) {
      weightSets.add(EMA);
    }
    EvalImages evalImages = imagesOf(manifest.datasetId());
    if (evalImages == null || evalImages.isEmpty()) {
      String reason =
          "no evaluation images of dataset '"
              + manifest.datasetId()
              + "' on "
              + Topics.IMAGES_EVAL
              + (imagesProblem == null ? "" : " (" + imagesProblem + ")");
      return failed(event, List.of(nativeResolution), weightSets, null, reason);
    }
    nativeResolution = evalImages.nativeResolution();
    Plan plan;
    ResNetSpec spec;
    try {
      plan =
          Plan.of(
              schedule(event.schedule() != null ? event.schedule() : manifest.schedule()),
              event.epoch(),
              nativeResolution);
    } catch (WireFormatException | IllegalArgumentException e) {
      return failed(
          event,
          List.of(nativeResolution),
          weightSets,
          null,
          "the checkpoint's schedule is unreadable: " + e.getMessage());
    }
    if (skipIfScored && alreadyScored(event, plan, weightSets)) {
      log.info(
          "Checkpoint {} was already scored at {} px ({}); redelivered, skipped",
          event.checkpointId(),
          plan.resolutions(),
          String.join(" and ", weightSets));
      return List.of();
    }
    try {
      spec = Json.fromTree(event.spec() != null ? event.spec() : manifest.spec(), ResNetSpec.class);
    } catch (WireFormatException | IllegalArgumentException e) {
      return failed(
          event,
          plan.resolutions(),
          weightSets,
          plan,
          "the checkpoint's model spec is unreadable: " + e.getMessage());
    }

    if (evalImages.classes() > spec.numClasses()) {
      return failed(
          event,
          plan.resolutions(),
          weightSets,
          plan,
          "the eval images of '"
              + manifest.datasetId()
              + "' have "
              + evalImages.classes()
              + " classes but the model has "
              + spec.numClasses());
    }
    Map<String, String> failures = new LinkedHashMap<>();
    Map<String, Map<Integer, Scores>> scores = new LinkedHashMap<>();
    long started = System.nanoTime();
    try (NDManager manager = NDManager.newBaseManager(device)) {
      Map<String, Block> blocks = new LinkedHashMap<>();
      for (String weights : weightSets) {
        String key = event.prefix() + (RAW.equals(weights) ? PARAMS_OBJECT : EMA_OBJECT);
        try {
          blocks.put(weights, load(spec, manager, key, plan.referenceResolution()));
        } catch (ObjectStoreException | IllegalStateException | IllegalArgumentException e) {
          if (e instanceof ObjectStoreException s3Error && s3Error.isUnavailable()) {
            throw s3Error;
          }
          log.warn(
              "Cannot load {} weights of {}: {}", weights, event.checkpointId(), e.getMessage());
          failures.put(weights, e.getMessage());
        }
      }
      if (!blocks.isEmpty()) {
        scores.putAll(score(manager, evalImages, blocks, plan, spec.numClasses()));
      }
    } catch (IllegalArgumentException | IllegalStateException | EngineException e) {
      log.warn("Cannot score checkpoint {}: {}", event.checkpointId(), e.toString());
      for (String weights : weightSets) {
        failures.putIfAbsent(weights, "scoring failed: " + e.getMessage());
      }
      scores.clear();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    return events(event, manifest, plan, spec, weightSets, scores, failures, seconds);
  }

  private static Schedule schedule(com.fasterxml.jackson.databind.JsonNode json) {
    return json == null || json.isNull() ? null : Json.fromTree(json, Schedule.class);
  }

  private Block load(ResNetSpec spec, NDManager manager, String key, int resolution) {
    Block block = ResNetBuilder.build(spec);
    block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, resolution, resolution));
    try (InputStream in = store.get(key)) {
      ParameterIO.load(block, manager, in, false);
    } catch (IOException | MalformedModelException | EngineException e) {
      throw new IllegalStateException(
          "parameters at " + key + " are corrupt: " + e.getMessage(), e);
    } catch (ObjectStoreException e) {
      if (e.isNotFound()) {
        throw new ObjectStoreException(
            "parameters at " + key + " are missing from the store", e, true);
      }
      throw e;
    }
    return block;
  }

  /**
   * Every eval image crosses to the device once per checkpoint and is normalized once; each
   * resolution's view then goes through every weight set. Per-pass sub-managers free the
   * activations DJL would otherwise keep until the checkpoint is done.
   */
  private Map<String, Map<Integer, Scores>> score(
      NDManager manager, EvalImages evalImages, Map<String, Block> blocks, Plan plan, int classes) {
    Map<String, Map<Integer, Scores>> out = new LinkedHashMap<>();
    for (String weights : blocks.keySet()) {
      Map<Integer, Scores> byResolution = new LinkedHashMap<>();
      for (int resolution : plan.resolutions()) {
        byResolution.put(resolution, new Scores(classes));
      }
      out.put(weights, byResolution);
    }
    EvalTransform transform = new EvalTransform(manager);
    ParameterStore parameters = new ParameterStore(manager, false);
    for (EvalImages.Batch batch : evalImages.batches()) {
      try (NDManager batchManager = manager.newSubManager()) {
        NDArray normalized = transform.normalized(batchManager, batch);
        for (int resolution : plan.resolutions()) {
          try (NDManager viewManager = batchManager.newSubManager()) {
            normalized.tempAttach(viewManager);
            NDArray input = EvalTransform.at(normalized, resolution, plan.cropFraction());
            for (Map.Entry<String, Block> entry : blocks.entrySet()) {
              try (NDManager pass = viewManager.newSubManager()) {
                input.tempAttach(pass);
                float[] logits;
                // One pass at a time with a trainer in this JVM: see EngineThreads.
                EngineThreads.TURNS.lock();
                try {
                  logits =
                      entry
                          .getValue()
                          .forward(parameters, new NDList(input), false)
                          .singletonOrThrow()
                          .toType(DataType.FLOAT32, false)
                          .toFloatArray();
                } finally {
                  EngineThreads.TURNS.unlock();
                }
                out.get(entry.getKey()).get(resolution).add(logits, batch.labels());
              }
            }
          }
        }
      }
    }
    return out;
  }

  private List<EvaluationEvent> events(
      CheckpointEvent event,
      CheckpointManifest manifest,
      Plan plan,
      ResNetSpec spec,
      List<String> weightSets,
      Map<String, Map<Integer, Scores>> scores,
      Map<String, String> failures,
      double seconds) {
    double trainTop1 = trainTop1(event, manifest);
    Scores reference =
        scores.containsKey(RAW) ? scores.get(RAW).get(plan.referenceResolution()) : null;
    refreshHistory();
    RegularizationJudge.Verdict verdict =
        judge.judge(
            event.runId(),
            event.step(),
            trainTop1,
            reference == null ? Double.NaN : reference.top1(),
            plan.referenceResolution(),
            spec.numClasses());
    long now = System.currentTimeMillis();
    List<EvaluationEvent> out = new ArrayList<>();
    for (String weights : weightSets) {
      Map<Integer, Scores> byResolution = scores.get(weights);
      if (byResolution == null) {
        String reason = failures.getOrDefault(weights, "not scored");
        for (int resolution : plan.resolutions()) {
          out.add(error(event, resolution, weights, plan, reason));
        }
        continue;
      }
      int best =
          byResolution.entrySet().stream()
              .max(
                  Comparator.comparingDouble((Map.Entry<Integer, Scores> e) -> e.getValue().top1())
                      .thenComparingDouble(e -> -e.getValue().nll())
                      .thenComparingInt(e -> -e.getKey()))
              .map(Map.Entry::getKey)
              .orElse(plan.referenceResolution());
      for (Map.Entry<Integer, Scores> entry : byResolution.entrySet()) {
        int resolution = entry.getKey();
        Scores s = entry.getValue();
        out.add(
            new EvaluationEvent(
                EvaluationEvent.SCHEMA_VERSION,
                EvaluationEvent.evaluationId(event.runId(), event.step(), resolution, weights),
                event.runId(),
                event.step(),
                resolution,
                weights,
                s.images(),
                s.top1(),
                s.top5(),
                s.nll(),
                null,
                now,
                s.ece(),
                s.perClassAccuracy(),
                plan.trainResolution(),
                plan.cropFraction(),
                Double.isNaN(trainTop1) ? null : trainTop1,
                Double.isNaN(trainTop1) ? null : trainTop1 - s.top1(),
                best,
                verdict.verdict(),
                verdict.reason(),
                verdict.evidence()));
        log.info(
            "Checkpoint {} {} at {} px: top-1 {} top-5 {} nll {} ece {} on {} images",
            event.checkpointId(),
            weights,
            resolution,
            f(s.top1()),
            f(s.top5()),
            f(s.nll()),
            f(s.ece()),
            s.images());
      }
    }
    log.info(
        "Checkpoint {} scored in {} s ({} resolutions x {} weight sets); {}",
        event.checkpointId(),
        String.format(Locale.ROOT, "%.1f", seconds),
        plan.resolutions().size(),
        scores.size(),
        verdict.reason());
    return out;
  }

  private static double trainTop1(CheckpointEvent event, CheckpointManifest manifest) {
    Map<String, Double> metrics =
        event.trainMetrics() != null && event.trainMetrics().containsKey("train_top1")
            ? event.trainMetrics()
            : manifest.recentMetrics();
    Double value = metrics == null ? null : metrics.get("train_top1");
    return value == null ? Double.NaN : value;
  }

  private static String f(double value) {
    return String.format(Locale.ROOT, "%.4f", value);
  }

  /**
   * Tops up the in-memory eval images.
   *
   * @return why the topic could not be read, or null
   */
  private synchronized String refreshEvalImages() {
    List<ConsumerRecord<byte[], byte[]>> records;
    try {
      records = TopicSnapshot.read(kafka, Topics.IMAGES_EVAL, evalOffsets, READ_TIMEOUT);
    } catch (IllegalStateException | KafkaException e) {
      log.warn("Cannot read {}: {}", Topics.IMAGES_EVAL, e.getMessage());
      return e.getMessage();
    }
    for (ConsumerRecord<byte[], byte[]> record : records) {
      evalOffsets.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
      try {
        ImageBatch batch = ImageBatch.decode(record.value());
        EvalImages images =
            evalImagesByDataset.computeIfAbsent(batch.datasetId(), d -> new EvalImages(batchSize));
        images.add(batch);
      } catch (WireFormatException | IllegalArgumentException e) {
        deadLetterEvalImages(record, e.getMessage());
      }
    }
    return null;
  }

  /** An eval batch that cannot be scored with its dataset goes to the DLQ; the others stay. */
  private void deadLetterEvalImages(ConsumerRecord<byte[], byte[]> record, String reason) {
    log.warn("Skipping eval batch at {}@{}: {}", record.partition(), record.offset(), reason);
    if (sender == null) {
      return; // scoring without a started stage (tests, benches): the log line is all
    }
    new DeadLetters(sender, "evaluator")
        .send(
            record.topic() + "-" + record.partition() + "@" + record.offset(),
            record.key(),
            record.value(),
            reason)
        .block(Duration.ofSeconds(30));
  }

  /**
   * The eval images of a checkpoint's dataset; for a manifest from before datasets were recorded,
   * the only dataset there is.
   */
  private synchronized EvalImages imagesOf(String datasetId) {
    if (datasetId == null && evalImagesByDataset.size() == 1) {
      return evalImagesByDataset.values().iterator().next();
    }
    return datasetId == null ? null : evalImagesByDataset.get(datasetId);
  }

  /** A resolution to name in a failure that happened before the checkpoint's dataset was known. */
  private synchronized int anyNativeResolution() {
    return evalImagesByDataset.isEmpty()
        ? 0
        : evalImagesByDataset.values().iterator().next().nativeResolution();
  }

  /**
   * Reads the gaps of checkpoints other instances of the group scored (and this one's after a
   * restart) back from {@code cardinal.evaluations}, so "widening" spans the whole run.
   */
  private synchronized void refreshHistory() {
    List<ConsumerRecord<byte[], byte[]>> records;
    try {
      records = TopicSnapshot.read(kafka, Topics.EVALUATIONS, evaluationOffsets, READ_TIMEOUT);
    } catch (IllegalStateException | KafkaException e) {
      log.warn("Cannot read earlier evaluations; judging without them: {}", e.getMessage());
      return;
    }
    for (ConsumerRecord<byte[], byte[]> record : records) {
      evaluationOffsets.put(
          new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
      try {
        EvaluationEvent e = Json.fromBytes(record.value(), EvaluationEvent.class);
        if (e.error() == null && e.evaluationId() != null) {
          scoredEvaluations.add(e.evaluationId());
        }
        Double gap = e.verdictEvidence() == null ? null : e.verdictEvidence().get("gap");
        if (gap != null && e.runId() != null) {
          judge.record(e.runId(), e.step(), gap);
        }
      } catch (WireFormatException e) {
        // Not ours to judge: the registry dead-letters malformed evaluations.
      }
    }
  }

  private boolean alreadyScored(CheckpointEvent event, Plan plan, List<String> weightSets) {
    refreshHistory();
    synchronized (this) {
      for (int resolution : plan.resolutions()) {
        for (String weights : weightSets) {
          String id =
              EvaluationEvent.evaluationId(event.runId(), event.step(), resolution, weights);
          if (!scoredEvaluations.contains(id)) {
            return false;
          }
        }
      }
      return true;
    }
  }

  private List<EvaluationEvent> failed(
      CheckpointEvent event,
      List<Integer> resolutions,
      List<String> weightSets,
      Plan plan,
      String reason) {
    log.warn("Cannot evaluate checkpoint {}: {}", event.checkpointId(), reason);
    List<EvaluationEvent> out = new ArrayList<>();
    for (String weights : weightSets) {
      for (int resolution : resolutions) {
        out.add(error(event, resolution, weights, plan, reason));
      }
    }
    return out;
  }

  private static EvaluationEvent error(
      CheckpointEvent event, int resolution, String weights, Plan plan, String reason) {
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
        reason == null ? "unknown error" : reason,
        System.currentTimeMillis(),
        null,
        null,
        plan == null ? null : plan.trainResolution(),
        plan == null ? null : plan.cropFraction(),
        null,
        null,
        null,
        null,
        null,
        null);
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
