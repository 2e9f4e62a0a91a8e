package dev.cardinal.augment;

import java.util.SplittableRandom;

/**
 * The CIFAR recipe of He et al.: pad by {@code padding} pixels (zeros), crop back to the original
 * size at a random position, and flip horizontally with probability 0.5. Works on uint8 HWC pixels
 * in place of a float round trip.
 */
public final class CropFlip {
  private final int padding;

  public CropFlip(int padding) {
    if (padding < 0) {
      throw new IllegalArgumentException("padding must be >= 0, got " + padding);
    }
    this.padding = padding;
  }

  /**
   * Augments one image from {@code src} at {@code srcOffset} into {@code dst} at {@code dstOffset}.
   */
  public void apply(
      byte[] src,
      int srcOffset,
      byte[] dst,
      int dstOffset,
      int height,
      int width,
      int channels,
      SplittableRandom random) {
    int dy = random.nextInt(2 * padding + 1) - padding;
    int dx = random.nextInt(2 * padding + 1) - padding;
    boolean flip = random.nextBoolean();
    int rowBytes = width * channels;
    for (int y = 0; y < height; y++) {
      int sy = y + dy;
      int dstRow = dstOffset + y * rowBytes;
      if (sy < 0 || sy >= height) {
        java.util.Arrays.fill(dst, dstRow, dstRow + rowBytes, (byte) 0);
        continue;
      }
      for (int x = 0; x < width; x++) {
        int sx = (flip ? width - 1 - x : x) + dx;
        int d = dstRow + x * channels;
        if (sx < 0 || sx >= width) {
          for (int c = 0; c < channels; c++) {
            dst[d + c] = 0;
          }
        } else {
          System.arraycopy(src, srcOffset + sy * rowBytes + sx * channels, dst, d, channels);
        }
      }
    }
  }

  /** Same seed, epoch and sample id give the same random choices, hence the same pixels. */
  public static SplittableRandom randomFor(long seed, int epoch, long sampleId) {
    long mixed = seed * 0x9E3779B97F4A7C15L ^ (epoch * 0xC2B2AE3D27D4EB4FL) ^ sampleId;
    return new SplittableRandom(mixed);
  }
}
