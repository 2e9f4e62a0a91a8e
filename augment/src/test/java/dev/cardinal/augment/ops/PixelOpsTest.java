package dev.cardinal.augment.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The colour ops of RandAugment and its magnitude mapping against hand-computed values. */
class PixelOpsTest {

  static Image values(int... v) {
    byte[] p = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      p[i] = (byte) v[i];
    }
    return new Image(p, 1, v.length, 1);
  }

  static int[] px(Image img) {
    int[] out = new int[img.pixels().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = img.pixels()[i] & 0xFF;
    }
    return out;
  }

  @Test
  void solarizeInvertsFromTheThreshold() {
    assertThat(px(PixelOps.solarize(values(0, 127, 128, 200, 255), 128)))
        .containsExactly(0, 127, 127, 55, 0);
    assertThat(px(PixelOps.solarizeAdd(values(0, 100, 127, 128, 200), 50, 128)))
        .containsExactly(50, 150, 177, 128, 200);
  }

  @Test
  void posterizeKeepsTheTopBits() {
    Image img = values(0b1011_0111, 0b0111_1111, 255);
    assertThat(px(PixelOps.posterize(img, 2)))
        .containsExactly(0b1000_0000, 0b0100_0000, 0b1100_0000);
    assertThat(px(PixelOps.posterize(img, 4)))
        .containsExactly(0b1011_0000, 0b0111_0000, 0b1111_0000);
    assertThat(px(PixelOps.posterize(img, 0))).containsExactly(0, 0, 0);
    assertThat(PixelOps.posterize(img, 8)).isSameAs(img);
  }

  @Test
  void equalizeFollowsPillowsHistogramSteps() {
    // 255 x 10, 255 x 20, 1 x 30: step = (511 - 1) / 255 = 2, lut[i] = (1 + pixels below i) / 2.
    int[] v = new int[511];
    for (int i = 0; i < 511; i++) {
      v[i] = i < 255 ? 10 : i < 510 ? 20 : 30;
    }
    int[] out = px(PixelOps.equalize(values(v)));
    assertThat(out[0]).isEqualTo(0);
    assertThat(out[300]).isEqualTo(128);
    assertThat(out[510]).isEqualTo(255);
    // A single-valued image has nothing to equalize.
    assertThat(px(PixelOps.equalize(values(9, 9, 9)))).containsExactly(9, 9, 9);
  }

  @Test
  void autoContrastStretchesToTheFullRange() {
    assertThat(px(PixelOps.autoContrast(values(50, 100, 150)))).containsExactly(0, 127, 255);
    assertThat(px(PixelOps.invert(values(0, 1, 254)))).containsExactly(255, 254, 1);
  }

  @Test
  void enhancementsBlendWithTheirDegenerateImage() {
    assertThat(px(PixelOps.brightness(values(200, 100, 0), 0.5))).containsExactly(100, 50, 0);
    assertThat(px(PixelOps.brightness(values(200), 1.5))).containsExactly(255);
    // Contrast toward the mean (100): 0.5 halves the distance.
    assertThat(px(PixelOps.contrast(values(50, 150, 100), 0.5))).containsExactly(75, 125, 100);
    // Colour 0 is the luminance (299 R + 587 G + 114 B) / 1000 in every channel.
    Image red = new Image(new byte[] {(byte) 200, 0, 0}, 1, 1, 3);
    assertThat(px(PixelOps.color(red, 0))).containsExactly(60, 60, 60);
    Image g = values(1, 2, 3);
    assertThat(PixelOps.color(g, 0)).isSameAs(g);
    // Sharpness 0 is the SMOOTH filter inside, the border untouched.
    byte[] p = new byte[9];
    p[4] = (byte) 130;
    Image dot = new Image(p, 3, 3, 1);
    int[] s = px(PixelOps.sharpness(dot, 0));
    assertThat(s[4]).isEqualTo(50); // 5 * 130 / 13
    assertThat(s[0]).isEqualTo(0);
  }

  @Test
  void magnitudeMapsToTimmsArguments() {
    assertThat(RandAugment.argument(RandAugment.Op.ROTATE, 9)).isCloseTo(27, within(1e-9));
    assertThat(RandAugment.argument(RandAugment.Op.SHEAR_X, 10)).isCloseTo(0.3, within(1e-9));
    assertThat(RandAugment.argument(RandAugment.Op.TRANSLATE_Y, 5)).isCloseTo(0.225, within(1e-9));
    assertThat(RandAugment.argument(RandAugment.Op.POSTERIZE, 9)).isEqualTo(3);
    assertThat(RandAugment.argument(RandAugment.Op.SOLARIZE, 5)).isEqualTo(128);
    assertThat(RandAugment.argument(RandAugment.Op.SOLARIZE_ADD, 10)).isEqualTo(110);
    assertThat(RandAugment.argument(RandAugment.Op.BRIGHTNESS, 0)).isCloseTo(0.1, within(1e-9));
    assertThat(RandAugment.argument(RandAugment.Op.COLOR, 10)).isCloseTo(1.9, within(1e-9));
    assertThat(RandAugment.Op.values()).hasSize(15);
  }

  @Test
  void policyStrings() {
    RandAugment ra = RandAugment.parse("rand-m9-n2-mstd0.5");
    assertThat(ra.magnitude()).isEqualTo(9);
    assertThat(ra.ops()).isEqualTo(2);
    assertThat(ra.magnitudeStd()).isEqualTo(0.5);
    assertThat(ra.prob()).isEqualTo(0.5);
    assertThat(ra.policy()).isEqualTo("rand-m9-n2-mstd0.5");
    assertThat(RandAugment.parse("rand-m7-n3-mmax12-p1").policy())
        .isEqualTo("rand-m7-n3-mmax12-p1");
    assertThat(RandAugment.parse("rand-m10").ops()).isEqualTo(2);
    assertThatThrownBy(() -> RandAugment.parse("augmix-m5")).hasMessageContaining("rand-");
    assertThatThrownBy(() -> RandAugment.parse("rand-m9-x3")).hasMessageContaining("'x3'");
    assertThatThrownBy(() -> RandAugment.parse("rand-n2")).hasMessageContaining("magnitude");
  }

  @Test
  void randAugmentIsReproducibleAndRecordsItsOps() {
    Image img = GeometryOpsTest.rgb(16, 16);
    RandAugment ra = new RandAugment(9, 3, 0.5, 10, 1.0);
    int[] applied = new int[1];
    Image a = ra.apply(img, new SplittableRandom(5), (op, ns) -> applied[0]++);
    Image b = ra.apply(img, new SplittableRandom(5));
    assertThat(a.pixels()).isEqualTo(b.pixels());
    assertThat(applied[0]).isEqualTo(3);
    assertThat(new RandAugment(9, 0, 0).apply(img, new SplittableRandom(5))).isSameAs(img);
  }

  @Test
  void randomErasingFillsOneRectangleOfTheRightSize() {
    Image img = new Image(new byte[40 * 40 * 3], 40, 40, 3);
    RandomErasing erase = new RandomErasing(1.0);
    for (int seed = 0; seed < 20; seed++) {
      RandomErasing.Box b = erase.sample(40, 40, new SplittableRandom(seed));
      assertThat(b).isNotNull();
      double area = (double) b.w() * b.h() / 1600;
      assertThat(area).isBetween(0.01, 0.36);
      Image out = erase.apply(img, new SplittableRandom(seed));
      for (int y = 0; y < 40; y++) {
        for (int x = 0; x < 40; x++) {
          boolean inside = x >= b.x() && x < b.x() + b.w() && y >= b.y() && y < b.y() + b.h();
          if (!inside) {
            assertThat(out.at(y, x, 0)).isZero();
          }
        }
      }
    }
    assertThat(new RandomErasing(0).apply(img, new SplittableRandom(1))).isSameAs(img);
  }
}
