package dev.cardinal.augment.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MixCutTest {
  private static final int H = 20;
  private static final int W = 10;

  /** Batch of 4 grey images: image i is all {@code 60 * i}, labelled i. */
  private static byte[] batch() {
    byte[] p = new byte[4 * H * W];
    for (int i = 0; i < 4; i++) {
      java.util.Arrays.fill(p, i * H * W, (i + 1) * H * W, (byte) (60 * i));
    }
    return p;
  }

  /**
   * Mixes {@link #batch()} (labels 0..3) with {@code classes} classes, drawing from {@code seed}.
   */
  private static MixCut.Result mixBatch(MixCut mixCut, int classes, int seed) {
    return mixCut.apply(
        batch(), 4, H, W, 1, classes, new int[] {0, 1, 2, 3}, null, new SplittableRandom(seed));
  }

  @Test
  void mixupBlendsMirroredPairsAndLabelsSumToOne() {
    for (int seed = 0; seed < 10; seed++) {
      MixCut.Result r = mixBatch(new MixCut(0.4, 0), 5, seed);
      assertThat(r.cutmix()).isFalse();
      double lam = r.lambda();
      // Image 0 (value 0) is mixed with image 3 (value 180).
      assertThat(r.pixels()[0] & 0xFF).isEqualTo((int) Math.round((1 - lam) * 180));
      assertThat(r.softLabels()[0]).isCloseTo((float) lam, within(1e-6f));
      assertThat(r.softLabels()[3]).isCloseTo((float) (1 - lam), within(1e-6f));
      for (int i = 0; i < 4; i++) {
        float sum = 0;
        for (int k = 0; k < 5; k++) {
          sum += r.softLabels()[i * 5 + k];
        }
        assertThat(sum).isCloseTo(1f, within(1e-5f));
      }
    }
  }

  @Test
  void cutmixLabelsFollowTheAreaRatio() {
    int cutSeen = 0;
    for (int seed = 0; seed < 20; seed++) {
      MixCut.Result r = mixBatch(new MixCut(0, 1.0), 4, seed);
      assertThat(r.cutmix()).isTrue();
      // Image 1 (60) gets a patch of image 2 (120): the share of 120s is 1 - lambda.
      int patched = 0;
      for (int k = 0; k < H * W; k++) {
        if ((r.pixels()[H * W + k] & 0xFF) == 120) {
          patched++;
        }
      }
      cutSeen += patched > 0 ? 1 : 0;
      assertThat((double) patched / (H * W)).isCloseTo(1 - r.lambda(), within(1e-9));
      assertThat(r.softLabels()[4 + 1]).isCloseTo((float) r.lambda(), within(1e-6f));
      assertThat(r.softLabels()[4 + 2]).isCloseTo((float) (1 - r.lambda()), within(1e-6f));
      for (int i = 0; i < 4; i++) {
        float sum = 0;
        for (int k = 0; k < 4; k++) {
          sum += r.softLabels()[i * 4 + k];
        }
        assertThat(sum).isCloseTo(1f, within(1e-5f));
      }
    }
    assertThat(cutSeen).isPositive();
  }

  @Test
  void betaHasTheRightMean() {
    SplittableRandom random = new SplittableRandom(1);
    double sum = 0;
    for (int i = 0; i < 20_000; i++) {
      double b = MixCut.beta(0.2, random);
      assertThat(b).isBetween(0.0, 1.0);
      sum += b;
    }
    assertThat(sum / 20_000).isCloseTo(0.5, within(0.02));
  }
}
