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
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.s3.ObjectStoreException;
import dev.cardinal.trainer.EngineThreads;
import dev.cardinal.trainer.model.ParameterIO;
import dev.cardinal.trainer.model.ResNetBuilder;
import dev.cardinal.trainer.model.ResNetSpec;
import dev.cardinal.trainer.os.NativeAllocator;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a checkpoint's weight sets from S3 into the network its spec describes and scores each on
 * the eval images at every resolution of the plan. A weight set that cannot be loaded is reported
 * as a failure beside the scores of the others.
 */
final class CheckpointScorer {
  static final String PARAMS_OBJECT = "params";
  static final String EMA_OBJECT = "ema";
  private static final Logger log = LoggerFactory.getLogger(CheckpointScorer.class);

  /**
   * The scores by weight set and resolution, and why the weight sets without scores have none.
   * Either may be empty; a weight set is in one or the other.
   */
  record Outcome(Map<String, Map<Integer, ScoreTally>> scores, Map<String, String> failures) {}

  private final CheckpointStore store;
  private final Device device;

  CheckpointScorer(CheckpointStore store, Device device) {
    this.store = store;
    this.device = device;
    NativeAllocator.tuneForTensors();
  }

  /** Never throws for a bad checkpoint or a failing engine: the outcome says what went wrong. */
  Outcome score(
      CheckpointEvent event,
      ResNetSpec spec,
      List<String> weightSets,
      ScoringPlan plan,
      EvalImages evalImages) {
    Map<String, String> failures = new LinkedHashMap<>();
    Map<String, Map<Integer, ScoreTally>> scores = new LinkedHashMap<>();
    try (NDManager manager = NDManager.newBaseManager(device)) {
      Map<String, Block> blocks = new LinkedHashMap<>();
      for (String weights : weightSets) {
        String key =
            event.prefix() + (EvaluatorStage.RAW.equals(weights) ? PARAMS_OBJECT : EMA_OBJECT);
        try {
          blocks.put(weights, load(spec, manager, key, plan.referenceResolution()));
        } catch (ObjectStoreException | IllegalStateException | IllegalArgumentException e) {
          if (e instanceof ObjectStoreException s3Error && s3Error.isUnavailable()) {
            throw s3Error; // S3 is down, the weights are not bad: EvaluatorStage waits
          }
          log.warn(
              "Cannot load {} weights of {}: {}", weights, event.checkpointId(), e.getMessage());
          failures.put(weights, e.getMessage());
        }
      }
      if (!blocks.isEmpty()) {
        scores.putAll(forward(manager, evalImages, blocks, plan, spec.numClasses()));
      }
    } catch (IllegalArgumentException | IllegalStateException | EngineException e) {
      log.warn("Cannot score checkpoint {}: {}", event.checkpointId(), e.toString());
      for (String weights : weightSets) {
        failures.putIfAbsent(weights, "scoring failed: " + e.getMessage());
      }
      scores.clear();
    }
    return new Outcome(scores, failures);
  }

  private Block load(ResNetSpec spec, NDManager manager, String key, int resolution) {
    byte[] parameters;
    try (InputStream in = store.get(key)) {
      parameters = in.readAllBytes();
    } catch (IOException e) {
      throw corrupt(key, e);
    } catch (ObjectStoreException e) {
      if (e.isNotFound()) {
        throw new ObjectStoreException(
            "parameters at " + key + " are missing from the store", e, true);
      }
      throw e;
    }
    // Building the arrays is the engine's work, done on its thread (see EngineThreads); the
    // download above is not.
    Block block = ResNetBuilder.build(spec);
    EngineThreads.run(
        () -> {
          block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, resolution, resolution));
          try {
            ParameterIO.load(block, manager, new ByteArrayInputStream(parameters), false);
          } catch (IOException | MalformedModelException | EngineException e) {
            throw corrupt(key, e);
          }
        });
    return block;
  }

  private static IllegalStateException corrupt(String key, Exception e) {
    return new IllegalStateException("parameters at " + key + " are corrupt: " + e.getMessage(), e);
  }

  /**
   * Every eval image crosses to the device once per checkpoint and is normalized once; each
   * resolution's view (and its mirror, with {@code testFlip}) then goes through every weight set.
   * Per-pass sub-managers free the activations DJL would otherwise keep until the checkpoint is
   * done.
   *
   * <p>Each batch is one turn on the engine's thread (see EngineThreads): with the flip and two
   * weight sets, four passes of 128 images at 28 px, about as long as a training step. With a turn
   * per pass (and one each for the transform, the crop and the flip) the evaluator waited out a
   * training step between any two of them: in bench/learning an evaluation spanned 2-4 minutes of
   * the run, against under 3 with a turn per batch, for the same work.
   */
  private static Map<String, Map<Integer, ScoreTally>> forward(
      NDManager manager,
      EvalImages evalImages,
      Map<String, Block> blocks,
      ScoringPlan plan,
      int classes) {
    Map<String, Map<Integer, ScoreTally>> out = new LinkedHashMap<>();
    for (String weights : blocks.keySet()) {
      Map<Integer, ScoreTally> byResolution = new LinkedHashMap<>();
      for (int resolution : plan.resolutions()) {
        byResolution.put(resolution, new ScoreTally(classes));
      }
      out.put(weights, byResolution);
    }
    EvalTransform transform = EngineThreads.call(() -> new EvalTransform(manager));
    ParameterStore parameters = new ParameterStore(manager, false);
    for (EvalImages.Batch batch : evalImages.batches()) {
      EngineThreads.run(
          () -> score(manager, transform, parameters, batch, blocks, plan, classes, out));
    }
    return out;
  }

  /** One batch through every resolution, view and weight set, added to {@code out}'s tallies. */
  private static void score(
      NDManager manager,
      EvalTransform transform,
      ParameterStore parameters,
      EvalImages.Batch batch,
      Map<String, Block> blocks,
      ScoringPlan plan,
      int classes,
      Map<String, Map<Integer, ScoreTally>> out) {
    try (NDManager batchManager = manager.newSubManager()) {
      NDArray normalized = transform.normalized(batchManager, batch);
      for (int resolution : plan.resolutions()) {
        try (NDManager viewManager = batchManager.newSubManager()) {
          normalized.tempAttach(viewManager);
          NDArray input = EvalTransform.at(normalized, resolution, plan.cropFraction());
          // NCHW: axis 3 is the width, so this is each image's left-right mirror.
          NDArray mirror = plan.testFlip() ? input.flip(3) : null;
          for (Map.Entry<String, Block> entry : blocks.entrySet()) {
            ScoreTally tally = out.get(entry.getKey()).get(resolution);
            try (NDManager pass = viewManager.newSubManager()) {
              input.tempAttach(pass);
              float[] logits = logits(entry.getValue(), parameters, input);
              if (mirror != null) {
                mirror.tempAttach(pass);
                tally.addSingleView(logits, batch.labels());
                logits =
                    averagedPrediction(
                        logits, logits(entry.getValue(), parameters, mirror), classes);
              }
              tally.add(logits, batch.labels());
            }
          }
        }
      }
    }
  }

  /**
   * The prediction of two views of each image: the log of the mean of their softmax probabilities,
   * as an ensemble averages its members (so NLL and calibration score the averaged distribution).
   * Computed here rather than on the device: it is ten numbers an image.
   */
  static float[] averagedPrediction(float[] first, float[] second, int classes) {
    float[] out = new float[first.length];
    for (int base = 0; base < first.length; base += classes) {
      double firstMax = Double.NEGATIVE_INFINITY;
      double secondMax = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        firstMax = Math.max(firstMax, first[base + c]);
        secondMax = Math.max(secondMax, second[base + c]);
      }
      double firstSum = 0;
      double secondSum = 0;
      for (int c = 0; c < classes; c++) {
        firstSum += Math.exp(first[base + c] - firstMax);
        secondSum += Math.exp(second[base + c] - secondMax);
      }
      for (int c = 0; c < classes; c++) {
        double mean =
            0.5 * Math.exp(first[base + c] - firstMax) / firstSum
                + 0.5 * Math.exp(second[base + c] - secondMax) / secondSum;
        out[base + c] = (float) Math.log(mean);
      }
    }
    return out;
  }

  private static float[] logits(Block block, ParameterStore parameters, NDArray input) {
    return block
        .forward(parameters, new NDList(input), false)
        .singletonOrThrow()
        .toType(DataType.FLOAT32, false)
        .toFloatArray();
  }
}
