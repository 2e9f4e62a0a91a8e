package dev.cardinal.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.cardinal.core.wire.ImageBatch;

/**
 * Cross-entropy against soft targets: the batch's mixup/cutmix labels when it has them, else
 * one-hot labels, both smoothed by {@code epsilon} (mass spread evenly over all classes). Built
 * from array ops only, with the targets as a constant array, so nothing scalar is freed under the
 * backward pass.
 */
public final class SoftTargetLoss {
  private final double epsilon;

  public SoftTargetLoss(double labelSmoothing) {
    this.epsilon = labelSmoothing;
  }

  public double labelSmoothing() {
    return epsilon;
  }

  /** Targets {@code [n, classes]} for a batch; rows sum to 1. */
  public float[] targets(ImageBatch batch) {
    int n = batch.size();
    int classes = batch.classes();
    float[] targets = new float[n * classes];
    float floor = (float) (epsilon / classes);
    float keep = (float) (1 - epsilon);
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < classes; c++) {
        float base =
            batch.softLabels() != null
                ? batch.softLabels()[i * classes + c]
                : (batch.labels()[i] == c ? 1f : 0f);
        targets[i * classes + c] = base * keep + floor;
      }
    }
    return targets;
  }

  /** Mean over the batch of {@code -sum(target * log_softmax(logits))}. */
  public NDArray evaluate(NDManager manager, NDArray logits, ImageBatch batch) {
    NDArray targets = manager.create(targets(batch), new Shape(batch.size(), batch.classes()));
    return logits.logSoftmax(1).mul(targets).sum(new int[] {1}).neg().mean();
  }
}
