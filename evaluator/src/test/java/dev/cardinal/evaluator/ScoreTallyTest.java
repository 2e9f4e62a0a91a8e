package dev.cardinal.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ScoreTallyTest {

  @Test
  void handMadeLogits() {
    ScoreTally scores = new ScoreTally(6);
    // Image 0: class 0 wins. Image 1: true class 1 is third of six. Image 2: tie counts as a miss.
    scores.add(
        new float[] {
          3, 1, 0, 0, 0, 0,
          5, 1, 4, 0, 0, 0,
          2, 2, 0, 0, 0, 0
        },
        new int[] {0, 1, 1});
    assertThat(scores.images()).isEqualTo(3);
    assertThat(scores.top1()).isCloseTo(1 / 3.0, offset(1e-12));
    assertThat(scores.top5()).isCloseTo(1.0, offset(1e-12));
    double nll0 = -(3 - Math.log(Math.exp(3) + Math.exp(1) + 4));
    double nll1 = -(1 - Math.log(Math.exp(5) + Math.exp(1) + Math.exp(4) + 3));
    double nll2 = -(2 - Math.log(2 * Math.exp(2) + 4));
    assertThat(scores.nll()).isCloseTo((nll0 + nll1 + nll2) / 3, offset(1e-9));
    assertThat(scores.perClassAccuracy()).containsExactly(1.0, 0.0, null, null, null, null);
    assertThat(scores.oneViewTop1()).as("one view is all there is").isEqualTo(scores.top1());
  }

  @Test
  void singleViewTopOneIsCountedBesideTheAveragedPrediction() {
    ScoreTally scores = new ScoreTally(2);
    assertThat(scores.scores().singleViewTop1()).isNull();
    // The image alone: right, wrong, wrong (a tie). Averaged with its mirror: all right.
    scores.addSingleView(new float[] {2, 0, 0, 1, 1, 1}, new int[] {0, 0, 1});
    scores.add(new float[] {2, 0, 1, 0, 0, 1}, new int[] {0, 0, 1});
    assertThat(scores.top1()).isEqualTo(1.0);
    assertThat(scores.scores().singleViewTop1()).isCloseTo(1 / 3.0, offset(1e-12));
    assertThat(scores.oneViewTop1())
        .as("what a train-eval gap compares: the image alone")
        .isCloseTo(1 / 3.0, offset(1e-12));
    assertThatThrownBy(() -> scores.addSingleView(new float[] {0, 1}, new int[] {2}))
        .hasMessageContaining("label 2 outside the model's 2 classes");
  }

  @Test
  void twoViewsAreAveragedAsProbabilities() {
    // Softmax of (ln 3, 0) is (0.75, 0.25); of (0, ln 3) it is (0.25, 0.75); of (0, 0) halves.
    float ln3 = (float) Math.log(3);
    float[] averaged =
        CheckpointScorer.averagedPrediction(
            new float[] {ln3, 0, 0, 0}, new float[] {0, ln3, 0, ln3}, 2);
    assertThat(Math.exp(averaged[0])).isCloseTo(0.5, offset(1e-6));
    assertThat(Math.exp(averaged[1])).isCloseTo(0.5, offset(1e-6));
    assertThat(Math.exp(averaged[2])).isCloseTo((0.5 + 0.25) / 2, offset(1e-6));
    assertThat(Math.exp(averaged[3])).isCloseTo((0.5 + 0.75) / 2, offset(1e-6));
  }

  @Test
  void expectedCalibrationErrorOnHandMadeLogits() {
    // Two classes, logits (z, 0): confidence of the winner is sigmoid(|z|).
    // ln(3) -> 0.75 (bin 11 of 15: (11/15, 12/15]), ln(9) -> 0.9 (bin 13: (13/15, 14/15]).
    float a = (float) Math.log(3);
    float b = (float) Math.log(9);
    ScoreTally scores = new ScoreTally(2);
    scores.add(
        new float[] {
          a, 0, // conf 0.75, right
          a, 0, // conf 0.75, wrong
          b, 0, // conf 0.9, right
          b, 0, // conf 0.9, right
          0, b, // conf 0.9, predicts 1, wrong
        },
        new int[] {0, 1, 0, 0, 0});
    double confA = 1 / (1 + Math.exp(-a));
    double confB = 1 / (1 + Math.exp(-b));
    // Bin of 0.75: accuracy 1/2, confidence 0.75. Bin of 0.9: accuracy 2/3, confidence 0.9.
    double expected = 2 / 5.0 * Math.abs(0.5 - confA) + 3 / 5.0 * Math.abs(2 / 3.0 - confB);
    assertThat(scores.ece()).isCloseTo(expected, offset(1e-6));
    assertThat(expected).isCloseTo(0.24, offset(1e-6));
    assertThat(scores.top1()).isCloseTo(0.6, offset(1e-12));
  }

  @Test
  void perfectlyCalibratedAndOverconfidentExtremes() {
    // Uniform logits over 4 classes: confidence 0.25, the true class ties so every image misses.
    ScoreTally uniform = new ScoreTally(4);
    uniform.add(new float[8], new int[] {0, 1});
    assertThat(uniform.ece()).isCloseTo(0.25, offset(1e-9));
    // Very confident and always right: ECE near 0.
    ScoreTally sure = new ScoreTally(3);
    sure.add(new float[] {40, 0, 0, 0, 40, 0}, new int[] {0, 1});
    assertThat(sure.ece()).isCloseTo(0, offset(1e-9));
  }

  @Test
  void binsAreEqualWidthAndUpperInclusive() {
    assertThat(ScoreTally.bin(1.0)).isEqualTo(14);
    assertThat(ScoreTally.bin(1 / 15.0)).isZero();
    assertThat(ScoreTally.bin(1 / 15.0 + 1e-9)).isEqualTo(1);
    assertThat(ScoreTally.bin(0.5)).isEqualTo(7);
    assertThat(ScoreTally.bin(1e-12)).isZero();
  }

  @Test
  void top5MissWhenFiveClassesScoreHigher() {
    ScoreTally scores = new ScoreTally(6);
    scores.add(new float[] {5, 4, 3, 2, 1, 0}, new int[] {5});
    assertThat(scores.top5()).isZero();
  }

  @Test
  void emptyIsNaNAndShapesAndLabelsAreChecked() {
    assertThat(new ScoreTally(3).top1()).isNaN();
    assertThat(new ScoreTally(3).ece()).isNaN();
    assertThat(new ScoreTally(2).perClassAccuracy()).containsExactly(null, null);
    assertThatThrownBy(() -> new ScoreTally(6).add(new float[5], new int[] {0}))
        .hasMessageContaining("5 logits for 1 images x 6 classes");
    float[] logits = new float[6];
    Arrays.fill(logits, 1);
    assertThatThrownBy(() -> new ScoreTally(6).add(logits, new int[] {6}))
        .hasMessageContaining("label 6 outside the model's 6 classes");
  }
}
