package dev.cardinal.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import org.junit.jupiter.api.Test;

/** The recipe's loss against cross-entropy written out by hand. */
class SoftTargetLossTest {
  private static final float[] LOGITS = {2f, 0f, -1f, 0.5f, 0.5f, 1f};

  private static ImageBatch batch(float[] softLabels) {
    return new ImageBatch(
        "t",
        1,
        1,
        1,
        3,
        new long[] {0, 1},
        new int[] {0, 2},
        softLabels,
        new byte[2],
        new ScheduleStamp(0, 0, 2));
  }

  private static double logSoftmax(int row, int c) {
    double max = Math.max(LOGITS[row * 3], Math.max(LOGITS[row * 3 + 1], LOGITS[row * 3 + 2]));
    double sum = 0;
    for (int k = 0; k < 3; k++) {
      sum += Math.exp(LOGITS[row * 3 + k] - max);
    }
    return LOGITS[row * 3 + c] - max - Math.log(sum);
  }

  private static double expected(double[][] targets) {
    double total = 0;
    for (int row = 0; row < 2; row++) {
      for (int c = 0; c < 3; c++) {
        total -= targets[row][c] * logSoftmax(row, c);
      }
    }
    return total / 2;
  }

  private static float evaluate(double smoothing, ImageBatch batch) {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray logits = manager.create(LOGITS, new Shape(2, 3));
      return new SoftTargetLoss(smoothing).evaluate(manager, logits, batch).getFloat();
    }
  }

  @Test
  void oneHotWithoutSmoothingIsPlainCrossEntropy() {
    double plain = -(logSoftmax(0, 0) + logSoftmax(1, 2)) / 2;
    assertThat(evaluate(0, batch(null))).isCloseTo((float) plain, offset(1e-5f));
  }

  @Test
  void labelSmoothingSpreadsEpsilonOverAllClasses() {
    double e = 0.1;
    double[][] targets = {
      {1 - e + e / 3, e / 3, e / 3},
      {e / 3, e / 3, 1 - e + e / 3}
    };
    assertThat(evaluate(e, batch(null))).isCloseTo((float) expected(targets), offset(1e-5f));
  }

  @Test
  void mixupSoftLabelsAreTheTargets() {
    float[] soft = {0.7f, 0.3f, 0f, 0f, 0.4f, 0.6f};
    double e = 0.1;
    double[][] targets = new double[2][3];
    for (int i = 0; i < 6; i++) {
      targets[i / 3][i % 3] = soft[i] * (1 - e) + e / 3;
    }
    assertThat(evaluate(e, batch(soft))).isCloseTo((float) expected(targets), offset(1e-5f));
    float[] rows = new SoftTargetLoss(e).targets(batch(soft));
    assertThat(rows[0] + rows[1] + rows[2]).isCloseTo(1f, offset(1e-6f));
  }
}
