package dev.cardinal.trainer;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import dev.cardinal.core.CodeVersion;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.schedule.ScheduleStage;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.WireFormatException;
import dev.cardinal.trainer.model.ConvGradientCheck;
import dev.cardinal.trainer.model.ConvolutionKernels;
import dev.cardinal.trainer.model.DropPath;
import dev.cardinal.trainer.model.InputTensors;
import dev.cardinal.trainer.model.ParameterIO;
import dev.cardinal.trainer.model.ResNetBuilder;
import dev.cardinal.trainer.model.ResNetSpec;
import dev.cardinal.trainer.optim.MomentumSgd;
import dev.cardinal.trainer.os.NativeAllocator;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network of one run with its DJL trainer, optimizer, loss and weight average: one training
 * step at a time, and in-memory snapshots for checkpoints. Fed by {@link TrainerStage} from Kafka,
 * or directly (benchmarks, tests).
 */
public final class TrainingSession implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TrainingSession.class);

  /** What one step measured; gradient norm only when asked (it costs a reduction). */
  public record StepResult(float loss, float correct, float learningRate, double gradientNorm) {}

  /** Time this run's steps computed: holding the engine, and the optimizer update. */
  private long computeNanos;

  private final TrainerConfig config;
  private final CheckpointStore store;
  private final ResNetSpec spec;
  private final Model model;
  private final Block block;
  private final Trainer trainer;
  private final MomentumSgd optimizer;
  private final WeightAverage ema;
  private SoftTargetLoss loss;
  private final List<DropPath> dropPaths;
  private final double[] dropPathProfile;
  private final List<DropPath> dropouts;
  private final Map<TopicPartition, Long> offsets = new HashMap<>();
  private final String parent;
  private final String datasetId;
  private final int channels;
  private ImageBatch lastBatch;
  private long samplesSeen;

  /**
   * Samples in one pass over the training set, from the stamps; an unbounded source (epoch size 0)
   * counts {@link #UNBOUNDED_EPOCH_SAMPLES} as one epoch.
   */
  private long epochSize = UNBOUNDED_EPOCH_SAMPLES;

  /**
   * What one "epoch" of the recipe means for a stream with no end (a watched folder): the size of
   * CIFAR's train split, so recipes written in epochs keep their usual length.
   */
  public static final long UNBOUNDED_EPOCH_SAMPLES = 50_000;

  /**
   * Builds the network on the engine's thread ({@link EngineThreads#call}); when {@code resumeFrom}
   * is given, loads its parameters, EMA and optimizer state from the store.
   */
  public static TrainingSession open(
      TrainerConfig config,
      CheckpointStore store,
      Device device,
      ResNetSpec spec,
      ImageBatch first,
      CheckpointManifest resumeFrom) {
    return EngineThreads.call(
        () -> new TrainingSession(config, store, device, spec, first, resumeFrom));
  }

  private TrainingSession(
      TrainerConfig config,
      CheckpointStore store,
      Device device,
      ResNetSpec spec,
      ImageBatch first,
      CheckpointManifest resumeFrom) {
    this.config = config;
    this.store = store;
    this.spec = spec;
    NativeAllocator.tuneForTensors();
    // Seeded initialization: the same seed and data give the same run, resumed or not.
    Engine.getInstance().setRandomSeed((int) config.seed());
    this.block = ResNetBuilder.build(spec);
    this.model = Model.newInstance(config.runId(), device);
    model.setBlock(block);
    // Schedules scale every block's drop-path rate while keeping the linear depth profile.
    this.dropPaths = ResNetBuilder.dropPaths(block);
    this.dropPathProfile =
        dropPaths.stream()
            .mapToDouble(d -> spec.dropPathRate() > 0 ? d.rate() / spec.dropPathRate() : 0)
            .toArray();
    this.dropouts = ResNetBuilder.dropouts(block);
    Recipe recipe = config.recipe();
    this.loss = new SoftTargetLoss(recipe.labelSmoothing());
    Shape inputShape =
        config.trainResolution() > 0
            ? new Shape(1, 3, config.trainResolution(), config.trainResolution())
            : new Shape(1, 3, first.height(), first.width());
    this.optimizer =
        new MomentumSgd((float) recipe.momentum(), recipe.nesterov(), (float) recipe.weightDecay());
    this.channels = first.channels();
    this.datasetId =
        resumeFrom != null && resumeFrom.datasetId() != null
            ? resumeFrom.datasetId()
            : first.datasetId();
    this.parent =
        resumeFrom == null ? null : CheckpointEvent.checkpointId(config.runId(), resumeFrom.step());
    String prefix =
        resumeFrom == null
            ? null
            : CheckpointStore.checkpointPrefix(config.runId(), resumeFrom.step());
    if (resumeFrom != null) {
      // Parameters are loaded before the DJL trainer exists: Trainer.initialize caches the
      // parameter arrays, and a later load would replace arrays the trainer no longer sees.
      block.initialize(model.getNDManager(), DataType.FLOAT32, inputShape);
      load(block, prefix + TrainerStage.PARAMS, true);
    }
    trainer =
        model.newTrainer(
            new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(optimizer)
                .optDevices(new Device[] {device}));
    trainer.initialize(inputShape);
    if (!device.isGpu()) {
      refuseWrongConvolutionGradients(
          config.model() != null ? config.model() : "run " + config.runId(), block);
    }
    optimizer.bind(block);

    Block average = ResNetBuilder.build(spec);
    average.initialize(model.getNDManager(), DataType.FLOAT32, inputShape);
    WeightAverage.freeze(average);
    this.ema = new WeightAverage(block, average);

    if (resumeFrom != null) {
      if (resumeFrom.objects().contains(TrainerStage.EMA)) {
        load(average, prefix + TrainerStage.EMA, false);
      }
      try (InputStream in = store.get(prefix + TrainerStage.OPTIMIZER)) {
        optimizer.load(trainer.getManager(), new DataInputStream(in));
      } catch (IOException e) {
        throw new IllegalStateException("cannot load optimizer state of " + prefix + ": " + e, e);
      }
      resumeFrom
          .offsets()
          .forEach((tp, offset) -> offsets.put(TrainerStage.parsePartition(tp), offset));
      samplesSeen = resumeFrom.samplesSeen();
    }
  }

  private void load(Block target, String key, boolean forTraining) {
    try (InputStream in = store.get(key)) {
      ParameterIO.load(target, model.getNDManager(), in, forTraining);
    } catch (IOException | MalformedModelException e) {
      throw new IllegalStateException("cannot load " + key + ": " + e, e);
    }
  }

  /**
   * Refuses a batch this run cannot train on: another class count (the loss would index past the
   * classifier), another channel count, or another dataset (its labels mean other things).
   *
   * @throws WireFormatException naming what differs, for the dead-letter topic
   */
  public void requireFits(ImageBatch batch) {
    batch.requireFits(spec.numClasses(), channels);
    if (!batch.datasetId().equals(datasetId)) {
      throw new WireFormatException(
          "batch is from dataset '"
              + batch.datasetId()
              + "' but run "
              + config.runId()
              + " trains on '"
              + datasetId
              + "'; start a new --run for another dataset");
    }
  }

  /**
   * True when this run has trained the record at {@code offset} of {@code partition} already: a
   * redelivery after a rebalance or a broker restart (offsets are committed a little after the
   * steps), which must not be trained twice.
   */
  public boolean alreadyTrained(TopicPartition partition, long offset) {
    Long next = offsets.get(partition);
    return next != null && offset < next;
  }

  /** Records that a batch read from {@code partition} was trained; its next offset. */
  void consumed(TopicPartition partition, long nextOffset, ImageBatch batch) {
    offsets.put(partition, nextOffset);
    lastBatch = batch;
    samplesSeen += batch.size();
  }

  /**
   * This run's own training progress in epochs: the samples it has trained on over the epoch size.
   * The learning rate and the trainer-side regularization follow it rather than the batches' ingest
   * stamps, which run ahead of a run that joined the stream late and arrive out of order across
   * partitions. Restored exactly on resume, since samplesSeen is in every manifest.
   */
  public double progressEpochs() {
    return (double) samplesSeen / epochSize;
  }

  /**
   * Nanoseconds this session's steps computed (forward and backward while holding the engine, and
   * the optimizer update), without the time spent waiting for other stages' turns: images over this
   * is a run's own speed, comparable between runs that share the cores.
   */
  public long computeNanos() {
    return computeNanos;
  }

  /** Samples this run has trained on, including those before a resume. */
  public long samplesSeen() {
    return samplesSeen;
  }

  /** One optimizer step on a batch; {@code step} is the count of steps before this one. */
  public StepResult trainStep(ImageBatch batch, long step, boolean measureGradient) {
    lastBatch = batch;
    if (batch.stamp().epochSize() > 0) {
      epochSize = batch.stamp().epochSize();
    }
    Recipe recipe = config.recipe();
    double progress = progressEpochs();
    float learningRate = recipe.learningRate(progress, batch.size());
    applySchedule(progress);
    optimizer.setLearningRate(learningRate);
    // The whole step is one turn on the engine's thread, the update and the weight average
    // included: see EngineThreads.
    return EngineThreads.call(() -> step(batch, step, measureGradient, learningRate));
  }

  private StepResult step(
      ImageBatch batch, long step, boolean measureGradient, float learningRate) {
    Recipe recipe = config.recipe();
    // Per-step arrays live in a sub-manager closed after the step, else activations pile up.
    try (NDManager stepManager = trainer.getManager().newSubManager()) {
      NDArray x = InputTensors.images(stepManager, batch, config.trainResolution());
      NDArray lossValue;
      NDArray logits;
      // Counted from when the engine is this run's: waiting for other runs' turns is not its cost.
      long computeStart = System.nanoTime();
      try (GradientCollector collector = trainer.newGradientCollector()) {
        logits = trainer.forward(new NDList(x)).singletonOrThrow();
        lossValue = loss.evaluate(stepManager, logits, batch);
        collector.backward(lossValue);
      }
      long computed = System.nanoTime() - computeStart;
      double gradientNorm = measureGradient ? gradientNorm() : Double.NaN;
      long updateStart = System.nanoTime();
      trainer.step();
      computeNanos += computed + System.nanoTime() - updateStart;
      if (recipe.emaDecay() > 0) {
        ema.update(recipe.emaDecayAt(step));
      }
      NDArray labels = InputTensors.labels(stepManager, batch);
      float correct =
          logits.argMax(1).toType(labels.getDataType(), false).eq(labels).sum().getLong();
      return new StepResult(lossValue.getFloat(), correct, learningRate, gradientNorm);
    }
  }

  /**
   * Sets dropout, drop-path and label smoothing from the schedule stage at this run's progress.
   * (Resolution and RandAugment are the data's: augment applies them from the batch's stamp.)
   */
  private void applySchedule(double progress) {
    Schedule schedule = config.schedule();
    if (schedule == null) {
      return;
    }
    ScheduleStage stage = schedule.at(progress);
    double strength = config.regularizationStrength();
    for (int i = 0; i < dropPaths.size(); i++) {
      dropPaths
          .get(i)
          .setRate(Math.min(0.95, dropPathProfile[i] * stage.dropPathRate() * strength));
    }
    for (DropPath dropout : dropouts) {
      dropout.setRate(Math.min(0.95, stage.dropoutRate() * strength));
    }
    // The recipe's smoothing was scaled with the recipe (TrainerConfig.withRegularization).
    double smoothing =
        stage.labelSmoothing() > 0
            ? Math.min(0.9, stage.labelSmoothing() * strength)
            : config.recipe().labelSmoothing();
    if (smoothing != loss.labelSmoothing()) {
      loss = new SoftTargetLoss(smoothing);
    }
  }

  /**
   * Arrays alive on the run's managers (parameters, optimizer state, EMA, and anything a step
   * leaked): flat from step to step when nothing leaks.
   */
  public int liveArrays() {
    return model.getNDManager().getManagedArrays().size();
  }

  private double gradientNorm() {
    double sumOfSquares = 0;
    for (Pair<String, Parameter> p : block.getParameters()) {
      Parameter parameter = p.getValue();
      if (parameter.requiresGradient()) {
        try (NDArray g = parameter.getArray().getGradient();
            NDArray squares = g.square();
            NDArray sum = squares.sum()) {
          sumOfSquares += sum.getFloat();
        }
      }
    }
    return Math.sqrt(sumOfSquares);
  }

  /** Captures the checkpoint in memory so the upload can run while training goes on. */
  public CheckpointUploader.Snapshot snapshot(long step, Map<String, Double> recentMetrics) {
    // Copying the arrays out is the engine's work too (large copies run on its OpenMP team).
    Map<String, byte[]> objects =
        EngineThreads.call(
            () -> {
              Map<String, byte[]> arrays = new LinkedHashMap<>();
              arrays.put(TrainerStage.PARAMS, bytes(out -> block.saveParameters(out)));
              if (config.recipe().emaDecay() > 0) {
                arrays.put(TrainerStage.EMA, bytes(ema::save));
              }
              arrays.put(TrainerStage.OPTIMIZER, bytes(optimizer::save));
              return arrays;
            });
    Map<String, Long> offsetsByName = new HashMap<>();
    offsets.forEach((tp, offset) -> offsetsByName.put(tp.topic() + "-" + tp.partition(), offset));
    String prefix = CheckpointStore.checkpointPrefix(config.runId(), step);
    CheckpointManifest manifest =
        new CheckpointManifest(
            CheckpointManifest.SCHEMA_VERSION,
            config.runId(),
            step,
            lastBatch.stamp().epoch(),
            samplesSeen,
            config.model(),
            Json.toTree(spec),
            Json.toTree(config.recipe()),
            config.schedule() == null ? null : config.schedule().toJson(),
            config.schedule() == null ? null : Json.toTree(config.schedule().at(lastBatch.stamp())),
            offsetsByName,
            recentMetrics,
            lastBatch.datasetId(),
            CodeVersion.get(),
            parent,
            new ArrayList<>(objects.keySet()),
            System.currentTimeMillis(),
            progressEpochs(),
            lastBatch.stamp());
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
            manifest.schedule(),
            recentMetrics,
            manifest.createdAtMs());
    return new CheckpointUploader.Snapshot(manifest, objects, event);
  }

  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  private byte[] bytes(Writer writer) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(buffer)) {
      writer.write(out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize checkpoint state: " + e, e);
    }
    return buffer.toByteArray();
  }

  /**
   * On CPU, stops before the first step when this network would train on wrong gradients: it has
   * convolutions that oneDNN's AVX-512 kernels get wrong and the engine's gradient check (once per
   * JVM, ~100 ms) fails here, that is, the process was not capped at AVX2 in time (see {@link
   * ConvolutionKernels}). Networks without such convolutions skip the check.
   */
  private static void refuseWrongConvolutionGradients(String model, Block block) {
    List<String> affected = ConvolutionKernels.affected(block);
    if (affected.isEmpty()) {
      return;
    }
    // On the engine's thread, where the constructor runs: the check collects gradients, and DJL
    // allows one collector per process.
    String problem = EngineThreads.call(ConvGradientCheck::problem);
    String refusal = ConvolutionKernels.refusal(model, affected, problem);
    if (refusal != null) {
      throw new IllegalStateException(refusal);
    }
  }

  @Override
  public void close() {
    EngineThreads.run(
        () -> {
          trainer.close();
          model.close();
        });
  }
}
