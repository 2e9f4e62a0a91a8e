package dev.cardinal.evaluator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.cardinal.core.wire.ImageBatch;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The scores the evaluator should report, computed the slow, obvious way to check it against. */
final class PerImageScores {
  private PerImageScores() {}

  /**
   * One image at a time, cropped, resized and normalized by plain Java ({@link
   * PlainJavaTransform}); argmax, log-softmax and softmax by the engine; calibration bins and
   * per-class counts by hand.
   */
  static Map<String, Double> of(
      NDManager manager, Block block, List<ImageBatch> eval, int classes, int resolution) {
    ParameterStore parameters = new ParameterStore(manager, false);
    int images = 0;
    int correct = 0;
    int top5 = 0;
    double nll = 0;
    double[] binConf = new double[15];
    int[] binCount = new int[15];
    int[] binCorrect = new int[15];
    int[] classCount = new int[classes];
    int[] classCorrect = new int[classes];
    for (ImageBatch batch : eval) {
      for (int i = 0; i < batch.size(); i++) {
        float[] chw = PlainJavaTransform.chw(batch, i, resolution, 0.875);
        try (NDManager one = manager.newSubManager()) {
          NDArray input = one.create(chw, new Shape(1, 3, resolution, resolution));
          NDArray logits = block.forward(parameters, new NDList(input), false).singletonOrThrow();
          int label = batch.labels()[i];
          boolean hit = logits.argMax(1).getLong() == label;
          float[] row = logits.toFloatArray();
          int higher = 0;
          for (float v : row) {
            higher += v > row[label] ? 1 : 0;
          }
          top5 += higher < 5 ? 1 : 0;
          float confidence = logits.softmax(1).max().getFloat();
          nll -= logits.logSoftmax(1).getFloat(0, label);
          int bin = Math.min(14, Math.max(0, (int) Math.ceil(confidence * 15) - 1));
          binConf[bin] += confidence;
          binCount[bin]++;
          classCount[label]++;
          if (hit) {
            correct++;
            binCorrect[bin]++;
            classCorrect[label]++;
          }
          images++;
        }
      }
    }
    double ece = 0;
    for (int b = 0; b < 15; b++) {
      if (binCount[b] > 0) {
        ece +=
            (double) binCount[b]
                / images
                * Math.abs((double) binCorrect[b] / binCount[b] - binConf[b] / binCount[b]);
      }
    }
    Map<String, Double> out = new HashMap<>();
    out.put("images", (double) images);
    out.put("top1", (double) correct / images);
    out.put("top5", (double) top5 / images);
    out.put("nll", nll / images);
    out.put("ece", ece);
    for (int c = 0; c < classes; c++) {
      out.put("class" + c, classCount[c] == 0 ? null : (double) classCorrect[c] / classCount[c]);
    }
    return out;
  }

  /**
   * Top-1 and NLL when each image's view is averaged with its mirror: the view as {@link #of} makes
   * it, mirrored left-right in plain Java, both through the network, and their softmax
   * probabilities averaged.
   */
  static Map<String, Double> flipAveraged(
      NDManager manager, Block block, List<ImageBatch> eval, int resolution) {
    ParameterStore parameters = new ParameterStore(manager, false);
    int images = 0;
    int correct = 0;
    double nll = 0;
    for (ImageBatch batch : eval) {
      for (int i = 0; i < batch.size(); i++) {
        float[] chw = PlainJavaTransform.chw(batch, i, resolution, 0.875);
        float[] mirrored = new float[chw.length];
        for (int row = 0; row < chw.length / resolution; row++) {
          for (int x = 0; x < resolution; x++) {
            mirrored[row * resolution + x] = chw[row * resolution + resolution - 1 - x];
          }
        }
        try (NDManager one = manager.newSubManager()) {
          NDArray probabilities = null;
          for (float[] view : List.of(chw, mirrored)) {
            NDArray input = one.create(view, new Shape(1, 3, resolution, resolution));
            NDArray p =
                block.forward(parameters, new NDList(input), false).singletonOrThrow().softmax(1);
            probabilities = probabilities == null ? p : probabilities.add(p);
          }
          float[] mean = probabilities.div(2f).toFloatArray();
          int label = batch.labels()[i];
          int higher = 0;
          for (float v : mean) {
            higher += v >= mean[label] ? 1 : 0;
          }
          correct += higher == 1 ? 1 : 0;
          nll -= Math.log(mean[label]);
          images++;
        }
      }
    }
    return Map.of("top1", (double) correct / images, "nll", nll / images);
  }
}
