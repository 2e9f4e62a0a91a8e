package dev.cardinal.augment.ops;

/**
 * Bilinear resampling of a box of an image to a new size on uint8 pixels, antialiased when
 * shrinking: the triangle filter widens with the scale factor as in Pillow's {@code resize}, so a
 * 4x reduction averages every source pixel instead of sampling one in four. Two separable passes
 * with 22-bit fixed-point weights, rounded to uint8 between them (as Pillow does).
 */
public final class Resample {
  private static final int BITS = 22;
  private static final int HALF = 1 << (BITS - 1);

  private Resample() {}

  /** Weights of one axis: for output i, {@code count[i]} source pixels from {@code start[i]}. */
  private record Kernel(int[] start, int[] count, int[] weights, int stride) {}

  private static Kernel kernel(double box0, double boxSize, int inSize, int outSize) {
    double scale = boxSize / outSize;
    double filterScale = Math.max(1.0, scale);
    double support = filterScale; // the bilinear (triangle) filter has radius 1
    int stride = (int) Math.ceil(support) * 2 + 1;
    int[] start = new int[outSize];
    int[] count = new int[outSize];
    int[] weights = new int[outSize * stride];
    double[] w = new double[stride];
    for (int i = 0; i < outSize; i++) {
      double center = box0 + (i + 0.5) * scale;
      int min = Math.max(0, (int) Math.floor(center - support + 0.5));
      int max = Math.min(inSize, (int) Math.floor(center + support + 0.5));
      int n = Math.min(stride, Math.max(0, max - min));
      double sum = 0;
      for (int j = 0; j < n; j++) {
        double x = (min + j + 0.5 - center) / filterScale;
        w[j] = Math.max(0, 1 - Math.abs(x));
        sum += w[j];
      }
      if (sum == 0) { // a box edge exactly between pixels: take the nearest one
        min = Math.min(inSize - 1, Math.max(0, (int) Math.floor(center)));
        n = 1;
        w[0] = 1;
        sum = 1;
      }
      start[i] = min;
      count[i] = n;
      for (int j = 0; j < n; j++) {
        weights[i * stride + j] = (int) Math.round(w[j] / sum * (1 << BITS));
      }
    }
    return new Kernel(start, count, weights, stride);
  }

  /** Accumulators start at HALF, so the shift rounds; weights are positive and sum to 2^22. */
  private static byte clip(int acc) {
    int x = acc >> BITS;
    return (byte) (x > 255 ? 255 : x);
  }

  /**
   * Resamples the box {@code (x0, y0, boxW, boxH)} (pixel units, may be fractional) of {@code src}
   * to {@code outH x outW}, mirrored left-right when {@code flip}.
   */
  public static Image box(
      Image src, double x0, double y0, double boxW, double boxH, int outH, int outW, boolean flip) {
    int c = src.channels();
    int w = src.width();
    if (x0 == Math.rint(x0) && y0 == Math.rint(y0) && boxW == outW && boxH == outH) {
      return copyBox(src, (int) x0, (int) y0, outH, outW, flip);
    }
    Kernel kx = kernel(x0, boxW, w, outW);
    Kernel ky = kernel(y0, boxH, src.height(), outH);
    int rowFirst = ky.start()[0];
    int rowLast = ky.start()[outH - 1] + ky.count()[outH - 1];
    for (int i = 0; i < outH; i++) {
      rowFirst = Math.min(rowFirst, ky.start()[i]);
      rowLast = Math.max(rowLast, ky.start()[i] + ky.count()[i]);
    }
    byte[] in = src.pixels();
    int[] kw = kx.weights();
    int[] ks = kx.start();
    int[] kc = kx.count();
    int kStride = kx.stride();
    // Horizontal pass over the rows the vertical pass needs.
    int rows = rowLast - rowFirst;
    byte[] tmp = new byte[rows * outW * c];
    for (int r = 0; r < rows; r++) {
      int srcRow = (rowFirst + r) * w * c;
      int tmpRow = r * outW * c;
      for (int i = 0; i < outW; i++) {
        int xi = flip ? outW - 1 - i : i;
        int n = kc[xi];
        int wo = xi * kStride;
        int p = srcRow + ks[xi] * c;
        int t = tmpRow + i * c;
        if (c == 3) {
          int a0 = HALF;
          int a1 = HALF;
          int a2 = HALF;
          for (int j = 0; j < n; j++, p += 3) {
            int wj = kw[wo + j];
            a0 += wj * (in[p] & 0xFF);
            a1 += wj * (in[p + 1] & 0xFF);
            a2 += wj * (in[p + 2] & 0xFF);
          }
          tmp[t] = clip(a0);
          tmp[t + 1] = clip(a1);
          tmp[t + 2] = clip(a2);
        } else {
          for (int ch = 0; ch < c; ch++) {
            int acc = HALF;
            for (int j = 0, q = p + ch; j < n; j++, q += c) {
              acc += kw[wo + j] * (in[q] & 0xFF);
            }
            tmp[t + ch] = clip(acc);
          }
        }
      }
    }
    // Vertical pass, a whole row at a time (sequential memory access).
    byte[] out = new byte[outH * outW * c];
    int rowBytes = outW * c;
    int[] acc = new int[rowBytes];
    int[] vw = ky.weights();
    for (int y = 0; y < outH; y++) {
      int s = ky.start()[y] - rowFirst;
      int n = ky.count()[y];
      int wo = y * ky.stride();
      java.util.Arrays.fill(acc, HALF);
      for (int j = 0; j < n; j++) {
        int wj = vw[wo + j];
        int base = (s + j) * rowBytes;
        for (int k = 0; k < rowBytes; k++) {
          acc[k] += wj * (tmp[base + k] & 0xFF);
        }
      }
      int dst = y * rowBytes;
      for (int k = 0; k < rowBytes; k++) {
        out[dst + k] = clip(acc[k]);
      }
    }
    return new Image(out, outH, outW, c);
  }

  private static Image copyBox(Image src, int x0, int y0, int outH, int outW, boolean flip) {
    int c = src.channels();
    byte[] in = src.pixels();
    byte[] out = new byte[outH * outW * c];
    for (int y = 0; y < outH; y++) {
      int srcRow = ((y0 + y) * src.width() + x0) * c;
      int dstRow = y * outW * c;
      if (!flip) {
        System.arraycopy(in, srcRow, out, dstRow, outW * c);
      } else {
        for (int x = 0; x < outW; x++) {
          System.arraycopy(in, srcRow + (outW - 1 - x) * c, out, dstRow + x * c, c);
        }
      }
    }
    return new Image(out, outH, outW, c);
  }

  /** The whole image to {@code outH x outW}. */
  public static Image resize(Image src, int outH, int outW) {
    return box(src, 0, 0, src.width(), src.height(), outH, outW, false);
  }

  /** Mirrors left-right. */
  public static Image flip(Image src) {
    return copyBox(src, 0, 0, src.height(), src.width(), true);
  }

  /**
   * Evaluation transform: the centred square covering {@code cropFraction} of the shorter side,
   * resized to {@code size x size}. Equivalent to timm's resize-shorter-side to {@code size /
   * cropFraction} then centre crop (crop_pct, 0.875 for ImageNet; 1.0 keeps the whole square).
   */
  public static Image centerCrop(Image src, int size, double cropFraction) {
    if (!(cropFraction > 0 && cropFraction <= 1)) {
      throw new IllegalArgumentException("cropFraction must be in (0, 1], got " + cropFraction);
    }
    double side = Math.min(src.height(), src.width()) * cropFraction;
    double x0 = (src.width() - side) / 2;
    double y0 = (src.height() - side) / 2;
    return box(src, x0, y0, side, side, size, size, false);
  }

  /** Grey to RGB by repeating the channel; an RGB image is returned as it is. */
  public static Image toRgb(Image src) {
    if (src.channels() == 3) {
      return src;
    }
    byte[] in = src.pixels();
    byte[] out = new byte[in.length * 3];
    for (int i = 0, o = 0; i < in.length; i++, o += 3) {
      out[o] = in[i];
      out[o + 1] = in[i];
      out[o + 2] = in[i];
    }
    return new Image(out, src.height(), src.width(), 3);
  }
}
