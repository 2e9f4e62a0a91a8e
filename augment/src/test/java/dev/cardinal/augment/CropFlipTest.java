package dev.cardinal.augment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CropFlipTest {
  private static final int H = 6;
  private static final int W = 5;
  private static final int C = 3;

  private static byte[] image() {
    byte[] pixels = new byte[H * W * C];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i + 1); // no zero, so padding is recognizable
    }
    return pixels;
  }

  private static int at(byte[] p, int y, int x, int c) {
    return p[(y * W + x) * C + c] & 0xFF;
  }

  @Test
  void withoutPaddingTheImageIsKeptOrMirrored() {
    CropFlip op = new CropFlip(0);
    byte[] src = image();
    int kept = 0;
    int mirrored = 0;
    for (long seed = 0; seed < 40; seed++) {
      byte[] dst = new byte[src.length];
      op.apply(src, 0, dst, 0, H, W, C, new SplittableRandom(seed));
      if (java.util.Arrays.equals(src, dst)) {
        kept++;
      } else {
        for (int y = 0; y < H; y++) {
          for (int x = 0; x < W; x++) {
            for (int c = 0; c < C; c++) {
              assertThat(at(dst, y, x, c)).isEqualTo(at(src, y, W - 1 - x, c));
            }
          }
        }
        mirrored++;
      }
    }
    assertThat(kept).isPositive();
    assertThat(mirrored).isPositive();
  }

  @Test
  void paddedCropIsAShiftWithZerosOutside() {
    CropFlip op = new CropFlip(2);
    byte[] src = image();
    for (long seed = 0; seed < 40; seed++) {
      byte[] dst = new byte[src.length];
      op.apply(src, 0, dst, 0, H, W, C, new SplittableRandom(seed));
      // Every output pixel is zero padding or a source pixel from the same channel.
      for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
          int v = at(dst, y, x, 0);
          if (v != 0) {
            int index = v - 1;
            assertThat(index % C).isZero();
            assertThat(at(dst, y, x, 1)).isEqualTo(v + 1);
          }
        }
      }
    }
  }

  @Test
  void sameSeedEpochAndSampleGiveSamePixels() {
    CropFlip op = new CropFlip(4);
    byte[] src = image();
    byte[] a = new byte[src.length];
    byte[] b = new byte[src.length];
    op.apply(src, 0, a, 0, H, W, C, CropFlip.randomFor(1, 2, 3));
    op.apply(src, 0, b, 0, H, W, C, CropFlip.randomFor(1, 2, 3));
    assertThat(a).isEqualTo(b);
  }
}
