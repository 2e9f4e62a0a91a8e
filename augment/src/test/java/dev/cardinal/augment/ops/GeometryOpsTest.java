package dev.cardinal.augment.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Crop, flip, resize and the affine ops against hand-computed pixels. */
class GeometryOpsTest {

  /** Grey image whose pixel (y, x) is {@code f(y, x)}. */
  static Image grey(int h, int w, java.util.function.IntBinaryOperator f) {
    byte[] p = new byte[h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        p[y * w + x] = (byte) f.applyAsInt(y, x);
      }
    }
    return new Image(p, h, w, 1);
  }

  static Image rgb(int h, int w) {
    byte[] p = new byte[h * w * 3];
    for (int i = 0; i < p.length; i++) {
      p[i] = (byte) (i * 7 + 3);
    }
    return new Image(p, h, w, 3);
  }

  @Test
  void flipMirrorsColumnsKeepingChannels() {
    Image src = rgb(3, 4);
    Image f = Resample.flip(src);
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 4; x++) {
        for (int c = 0; c < 3; c++) {
          assertThat(f.at(y, x, c)).isEqualTo(src.at(y, 3 - x, c));
        }
      }
    }
  }

  @Test
  void integerBoxAtItsOwnSizeIsAnExactCrop() {
    Image src = rgb(6, 8);
    Image crop = Resample.box(src, 2, 1, 5, 4, 4, 5, false);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 5; x++) {
        for (int c = 0; c < 3; c++) {
          assertThat(crop.at(y, x, c)).isEqualTo(src.at(y + 1, x + 2, c));
        }
      }
    }
    Image flipped = Resample.box(src, 2, 1, 5, 4, 4, 5, true);
    assertThat(flipped.pixels()).isEqualTo(Resample.flip(crop).pixels());
  }

  @Test
  void centreCropTakesTheMiddleSquare() {
    Image src = rgb(6, 8);
    Image c = Resample.centerCrop(src, 6, 1.0);
    assertThat(c.height()).isEqualTo(6);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 6; x++) {
        assertThat(c.at(y, x, 1)).isEqualTo(src.at(y, x + 1, 1));
      }
    }
    // crop_pct 0.5 of a 8x8 image at 4 px: the central 4x4 block, unscaled.
    Image sq = rgb(8, 8);
    Image half = Resample.centerCrop(sq, 4, 0.5);
    assertThat(half.at(0, 0, 2)).isEqualTo(sq.at(2, 2, 2));
    assertThat(half.at(3, 3, 0)).isEqualTo(sq.at(5, 5, 0));
  }

  @Test
  void shrinkingIsAntialiased() {
    // A one-pixel checkerboard shrunk 4x: point sampling would give 0 or 255, the widened
    // triangle filter gives exactly 127.5 -> 128 inside (weights .125 .375 .625 .875 mirrored).
    Image board = grey(16, 16, (y, x) -> ((x + y) % 2) * 255);
    Image small = Resample.resize(board, 4, 4);
    assertThat(small.at(1, 1, 0)).isEqualTo(128);
    assertThat(small.at(2, 2, 0)).isEqualTo(128);
    for (byte b : small.pixels()) {
      assertThat(b & 0xFF).isBetween(110, 146);
    }
    // Constant stays constant, at any scale.
    Image flat = grey(10, 7, (y, x) -> 77);
    for (byte b : Resample.resize(flat, 23, 3).pixels()) {
      assertThat(b & 0xFF).isEqualTo(77);
    }
  }

  @Test
  void upscalingIsBilinear() {
    // 2 px gradient 0, 200 to 4 px: centres at 0.25, 0.75, 1.25, 1.75 source px -> 0, 50, 150, 200.
    Image g = grey(1, 2, (y, x) -> x * 200);
    Image up = Resample.resize(g, 1, 4);
    assertThat(new int[] {up.at(0, 0, 0), up.at(0, 1, 0), up.at(0, 2, 0), up.at(0, 3, 0)})
        .containsExactly(0, 50, 150, 200);
  }

  @Test
  void greyToRgbRepeatsTheChannel() {
    Image g = grey(2, 2, (y, x) -> y * 2 + x + 10);
    Image c = Resample.toRgb(g);
    assertThat(c.channels()).isEqualTo(3);
    assertThat(c.at(1, 0, 0)).isEqualTo(12);
    assertThat(c.at(1, 0, 2)).isEqualTo(12);
  }

  @Test
  void randomResizedCropBoxesRespectScaleAndRatio() {
    RandomResizedCrop rrc = new RandomResizedCrop(0.25, 0.5, 0.5, 2.0);
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 500; i++) {
      RandomResizedCrop.Box b = rrc.sample(100, 120, random);
      assertThat(b.x()).isBetween(0, 120 - b.w());
      assertThat(b.y()).isBetween(0, 100 - b.h());
      double area = (double) b.w() * b.h() / (100 * 120);
      assertThat(area).isBetween(0.23, 0.52); // rounding of w and h
      double ratio = (double) b.w() / b.h();
      assertThat(ratio).isBetween(0.47, 2.1);
    }
    // Impossible ratios fall back to the centred box of the clamped ratio.
    RandomResizedCrop wide = new RandomResizedCrop(0.99, 1.0, 4.0, 5.0);
    RandomResizedCrop.Box b = wide.sample(40, 40, new SplittableRandom(1));
    assertThat(b).isEqualTo(new RandomResizedCrop.Box(0, 15, 40, 10));
    Image out = RandomResizedCrop.IMAGENET.apply(rgb(50, 60), 32, 32, new SplittableRandom(9));
    assertThat(out.height()).isEqualTo(32);
    assertThat(out.width()).isEqualTo(32);
    assertThat(out.channels()).isEqualTo(3);
  }

  @Test
  void translateShiftsWholePixelsAndFills() {
    Image g = grey(3, 6, (y, x) -> 10 * x + y + 1);
    Image t = PixelOps.translateX(g, 2);
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 4; x++) {
        assertThat(t.at(y, x, 0)).isEqualTo(g.at(y, x + 2, 0));
      }
      assertThat(t.at(y, 4, 0)).isEqualTo(115);
      assertThat(t.at(y, 5, 0)).isEqualTo(115);
    }
    Image down = PixelOps.translateY(g, -1);
    assertThat(down.at(0, 3, 0)).isEqualTo(115);
    assertThat(down.at(2, 3, 0)).isEqualTo(g.at(1, 3, 0));
  }

  @Test
  void shearSlidesRowsByFactorTimesRowCentre() {
    // out(x, y) = in(x + f(y + .5), y); on a linear ramp bilinear sampling is exact.
    Image g = grey(5, 20, (y, x) -> 10 * x);
    double f = 0.2;
    Image s = PixelOps.shearX(g, f);
    for (int y = 0; y < 5; y++) {
      for (int x = 0; x < 15; x++) {
        assertThat(s.at(y, x, 0)).isEqualTo((int) Math.round(10 * (x + f * (y + 0.5))));
      }
    }
    Image v = grey(20, 5, (y, x) -> 10 * y);
    Image sy = PixelOps.shearY(v, -0.2);
    // out(x, y) = in(x, y - .2(x + .5)): column 4 reads 0.9 rows up, off the top in row 0.
    assertThat(sy.at(0, 4, 0)).isEqualTo(115);
    assertThat(sy.at(5, 4, 0)).isEqualTo(41);
  }

  @Test
  void rotateHalfTurnIsBothFlips() {
    Image g = grey(6, 6, (y, x) -> 40 * y + 3 * x);
    Image r = PixelOps.rotate(g, 180);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 6; x++) {
        assertThat(r.at(y, x, 0)).isEqualTo(g.at(5 - y, 5 - x, 0));
      }
    }
    // A quarter turn counter-clockwise: the top row becomes the left column, read upwards.
    Image q = PixelOps.rotate(g, 90);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 6; x++) {
        assertThat(q.at(y, x, 0)).isEqualTo(g.at(x, 5 - y, 0));
      }
    }
  }
}
