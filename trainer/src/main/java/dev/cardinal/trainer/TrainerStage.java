package dev.cardinal.trainer;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaReceiver;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.ReceivedRecord;
import dev.cardinal.core.kafka.ReceiverOptions;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.WireFormatException;
import dev.cardinal.trainer.model.InputTensors;
import dev.cardinal.trainer.model.ModelPresets;
import dev.cardinal.trainer.model.ParameterIO;
import dev.cardinal.trainer.model.ResNetBuilder;
import dev.cardinal.trainer.model.ResNetSpec;
import dev.cardinal.trainer.optim.MomentumSgd;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Sinks;

/**
 * Trains one run on {@code cardinal.images.augmented}: uint8 batches become normalized tensors on
 * the device, SGD with momentum updates the network, and every N steps the parameters, optimizer
 * state and manifest go to S3 (manifest last) before a checkpoint event is published. A restart
 * with the same run id resumes from the newest complete checkpoint, seeking the input to the
 * offsets its manifest recorded.
 */
public final class TrainerStage implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(TrainerStage.class);
  private static final String PARAMS = "params";
  private static final String OPTIMIZER = "optimizer";

  private final TrainerConfig config;
  private final KafkaSettings kafka;
  private final CheckpointStore store;
  private final Sinks.Empty<Void> stopSignal = Sinks.empty();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile long step;

  public TrainerStage(TrainerConfig config, KafkaSettings kafka, CheckpointStore store) {
    this.config = config;
    this.kafka = kafka;
    this.store = store;
  }

  public long step() {
    return step;
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
    ResNetSpec spec =
        resumeFrom == null ? null : Json.fromTree(resumeFrom.spec(), ResNetSpec.class);
    Map<TopicPartition, Long> startOffsets = new HashMap<>();
    if (resumeFrom != null) {
      resumeFrom.offsets().forEach((tp, offset) -> startOffsets.put(parsePartition(tp), offset));
      step = resumeFrom.step();
      log.info(
          "Run {} resumes from step {} ({} input partitions)",
          config.runId(),
          step,
          startOffsets.size());
    }
    log.info("Run {} trains {} on {}", config.runId(), config.model(), Devices.describe(device));

    ReceiverOptions options =
        ReceiverOptions.of(config.consumerGroup(), Topics.IMAGES_AUGMENTED)
            .withStartOffsets(startOffsets)
            .withMaxPollRecords(4);
    Iterable<ReceivedRecord> input =
        new KafkaReceiver(kafka, options)
            .receive()
            .takeUntilOther(stopSignal.asMono())
            .toIterable(4);

    try (KafkaSender sender = new KafkaSender(kafka)) {
      DeadLetters deadLetters = new DeadLetters(sender, "trainer");
      Session session = null;
      try {
        Iterator<ReceivedRecord> records = input.iterator();
        Metrics metrics = new Metrics();
        long waitStart = System.nanoTime();
        while (records.hasNext()) {
          ReceivedRecord record = records.next();
          long waited = System.nanoTime() - waitStart;
          ImageBatch batch;
          try {
            batch = ImageBatch.decode(record.value());
          } catch (WireFormatException e) {
            deadLetters.send(record, e.getMessage()).block();
            record.acknowledge();
            continue;
          }
          if (session == null) {
            ResNetSpec runSpec =
                spec != null ? spec : ModelPresets.get(config.model()).withClasses(batch.classes());
            session = new Session(device, runSpec, batch, resumeFrom);
          }
          long stepStart = System.nanoTime();
          StepResult result = session.trainStep(batch);
          step++;
          session.offsets.put(record.topicPartition(), record.offset() + 1);
          session.lastBatch = batch;
          record.acknowledge();
          metrics.add(result, batch.size(), waited, System.nanoTime() - stepStart);
          if (step % config.metricsEverySteps() == 0) {
            publishMetrics(sender, metrics.drain(session.optimizer.learningRate(), batch));
          }
          if (step % config.checkpointEverySteps() == 0) {
            session.checkpoint(sender, metrics.recent);
          }
          if (config.maxSteps() > 0 && step >= config.maxSteps()) {
            log.info("Run {} reached --max-steps {}", config.runId(), config.maxSteps());
            break;
          }
          waitStart = System.nanoTime();
        }
      } finally {
        // Leaving the loop does not cancel the subscription: end it, so this consumer leaves the
        // group instead of holding partitions that a restarted trainer needs.
        stopSignal.tryEmitEmpty();
        if (session != null) {
          session.close();
        }
      }
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

  private static TopicPartition parsePartition(String key) {
    int dash = key.lastIndexOf('-');
    return new TopicPartition(key.substring(0, dash), Integer.parseInt(key.substring(dash + 1)));
  }

  private void publishMetrics(KafkaSender sender, Map<String, Double> values) {
    MetricEvent event = MetricEvent.now("trainer", config.runId(), step, values);
    sender
        .send(Topics.METRICS, config.runId().getBytes(StandardCharsets.UTF_8), Json.toBytes(event))
        .subscribe(m -> {}, e -> log.warn("metric not sent: {}", e.toString()));
  }

  private record StepResult(float loss, int correct) {}

  /** Loss, accuracy and timing since the last report. */
  private final class Metrics {
    private double lossSum;
    private long correct;
    private long images;
    private long steps;
    private long waitNanos;
    private long stepNanos;
    private final long startNanos = System.nanoTime();
    private long windowStart = startNanos;
    private Map<String, Double> recent = Map.of();

    void add(StepResult r, int batchSize, long waited, long stepTime) {
      lossSum += r.loss();
      correct += r.correct();
      images += batchSize;
      steps++;
      waitNanos += waited;
      stepNanos += stepTime;
    }

    Map<String, Double> drain(float learningRate, ImageBatch batch) {
      long now = System.nanoTime();
      double seconds = (now - windowStart) / 1e9;
      Map<String, Double> values = new HashMap<>();
      values.put("loss", lossSum / Math.max(1, steps));
      values.put("train_top1", (double) correct / Math.max(1, images));
      values.put("learning_rate", (double) learningRate);
      values.put("images_per_s", images / Math.max(1e-9, seconds));
      values.put("step_time_ms", stepNanos / 1e6 / Math.max(1, steps));
      values.put("data_wait_fraction", waitNanos / (double) Math.max(1, waitNanos + stepNanos));
      values.put("epoch", batch.stamp().progressEpochs());
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

  /** The network, its DJL trainer and optimizer for one run, built from the first batch. */
  private final class Session implements AutoCloseable {
    private final ResNetSpec spec;
    private final Model model;
    private final Block block;
    private final Trainer trainer;
    private final MomentumSgd optimizer;
    private final Map<TopicPartition, Long> offsets = new HashMap<>();
    private final String parent;
    private ImageBatch lastBatch;

    Session(Device device, ResNetSpec spec, ImageBatch first, CheckpointManifest resumeFrom) {
      this.spec = spec;
      this.block = ResNetBuilder.build(spec);
      this.model = Model.newInstance(config.runId(), device);
      model.setBlock(block);
      Shape inputShape = new Shape(1, 3, first.height(), first.width());
      this.optimizer = new MomentumSgd((float) config.momentum(), (float) config.weightDecay());
      this.parent =
          resumeFrom == null
              ? null
              : CheckpointEvent.checkpointId(config.runId(), resumeFrom.step());
      String prefix =
          resumeFrom == null
              ? null
              : CheckpointStore.checkpointPrefix(config.runId(), resumeFrom.step());
      if (resumeFrom != null) {
        // Parameters are loaded before the DJL trainer exists: Trainer.initialize caches the
        // parameter arrays, and a later load would replace arrays the trainer no longer sees.
        block.initialize(model.getNDManager(), DataType.FLOAT32, inputShape);
        try (InputStream in = store.get(prefix + PARAMS)) {
          ParameterIO.load(block, model.getNDManager(), in, true);
        } catch (IOException | ai.djl.MalformedModelException e) {
          throw new IllegalStateException(
              "cannot load parameters of checkpoint " + prefix + ": " + e, e);
        }
      }
      trainer =
          model.newTrainer(
              new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                  .optOptimizer(optimizer)
                  .optDevices(new Device[] {device}));
      trainer.initialize(inputShape);
      optimizer.bind(block);
      if (resumeFrom != null) {
        try (InputStream in = store.get(prefix + OPTIMIZER)) {
          optimizer.load(trainer.getManager(), new DataInputStream(in));
        } catch (IOException e) {
          throw new IllegalStateException("cannot load optimizer state of " + prefix + ": " + e, e);
        }
        resumeFrom.offsets().forEach((tp, offset) -> offsets.put(parsePartition(tp), offset));
      }
    }

    StepResult trainStep(ImageBatch batch) {
      optimizer.setLearningRate(config.learningRate(step, batch.size()));
      // Per-step arrays live in a sub-manager closed after the step, else activations pile up.
      try (NDManager stepManager = trainer.getManager().newSubManager()) {
        NDArray x = InputTensors.images(stepManager, batch);
        NDArray y = InputTensors.labels(stepManager, batch);
        NDArray loss;
        NDArray logits;
        try (GradientCollector collector = trainer.newGradientCollector()) {
          logits = trainer.forward(new NDList(x)).singletonOrThrow();
          loss = trainer.getLoss().evaluate(new NDList(y), new NDList(logits));
          collector.backward(loss);
        }
        trainer.step();
        int correct = (int) logits.argMax(1).toType(y.getDataType(), false).eq(y).sum().getLong();
        return new StepResult(loss.getFloat(), correct);
      }
    }

    void checkpoint(KafkaSender sender, Map<String, Double> recentMetrics) {
      String prefix = CheckpointStore.checkpointPrefix(config.runId(), step);
      store.put(prefix + PARAMS, out -> block.saveParameters(new DataOutputStream(out)));
      store.put(
          prefix + OPTIMIZER,
          out -> {
            DataOutputStream data = new DataOutputStream(out);
            optimizer.save(data);
            data.flush();
          });
      Map<String, Long> offsetsByName = new HashMap<>();
      offsets.forEach((tp, offset) -> offsetsByName.put(tp.topic() + "-" + tp.partition(), offset));
      CheckpointManifest manifest =
          new CheckpointManifest(
              CheckpointManifest.SCHEMA_VERSION,
              config.runId(),
              step,
              lastBatch.stamp().epoch(),
              step * lastBatch.size(),
              config.model(),
              Json.toTree(spec),
              Json.toTree(config),
              null,
              offsetsByName,
              recentMetrics,
              lastBatch.datasetId(),
              TrainerStage.class.getPackage().getImplementationVersion(),
              parent,
              List.of(PARAMS, OPTIMIZER),
              System.currentTimeMillis());
      store.putManifest(manifest);
      CheckpointEvent event =
          new CheckpointEvent(
              CheckpointEvent.SCHEMA_VERSION,
              CheckpointEvent.CREATED,
              config.runId(),
              step,
              manifest.epoch(),
              manifest.samplesSeen(),
              store.settings().bucket(),
              prefix,
              config.model(),
              manifest.spec(),
              null,
              recentMetrics,
              manifest.createdAtMs());
      sender
          .send(
              Topics.CHECKPOINTS,
              event.checkpointId().getBytes(StandardCharsets.UTF_8),
              Json.toBytes(event))
          .block();
      log.info(
          "Run {} checkpoint at step {} -> s3://{}/{}",
          config.runId(),
          step,
          store.settings().bucket(),
          prefix);
    }

    @Override
    public void close() {
      trainer.close();
      model.close();
    }
  }
}
