package dev.cardinal.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

class ScoresTest {

  @Test
  void handMadeLogits() {
    Scores scores = new Scores();
    // Image 0: class 0 wins. Image 1: true class 1 is third of six. Image 2: tie counts as a miss.
    scores.add(
        new float[] {
          3, 1, 0, 0, 0, 0,
          5, 1, 4, 0, 0, 0,
          2, 2, 0, 0, 0, 0
        },
        new int[] {0, 1, 1},
        6);
    assertThat(scores.images()).isEqualTo(3);
    assertThat(scores.top1()).isCloseTo(1 / 3.0, offset(1e-12));
    assertThat(scores.top5()).isCloseTo(1.0, offset(1e-12));
    double nll0 = -(3 - Math.log(Math.exp(3) + Math.exp(1) + 4));
    double nll1 = -(1 - Math.log(Math.exp(5) + Math.exp(1) + Math.exp(4) + 3));
    double nll2 = -(2 - Math.log(2 * Math.exp(2) + 4));
    assertThat(scores.nll()).isCloseTo((nll0 + nll1 + nll2) / 3, offset(1e-9));
  }

  @Test
  void top5MissWhenFiveClassesScoreHigher() {
    Scores scores = new Scores();
    scores.add(new float[] {5, 4, 3, 2, 1, 0}, new int[] {5}, 6);
    assertThat(scores.top5()).isZero();
  }

  @Test
  void emptyIsNaNAndShapesAreChecked() {
    assertThat(new Scores().top1()).isNaN();
    assertThatThrownBy(() -> new Scores().add(new float[5], new int[] {0}, 6))
        .hasMessageContaining("5 logits for 1 images x 6 classes");
  }
}
