package dev.cardinal.augment.ops;

/**
 * The image operations of timm's RandAugment on uint8 pixels, following Pillow's definitions
 * (ImageOps, ImageEnhance, Image.transform) so that results match the reference implementation
 * within rounding. Grey images are their own luminance: Color leaves them as they are.
 */
public final class PixelOps {
  /** timm fills uncovered pixels with the ImageNet mean ({@code img_mean}). */
  public static final int[] FILL_RGB = {124, 116, 104};

  private static final int FILL_GREY = 115;

  private PixelOps() {}

  // ------------------------------------------------------------- per-pixel lookups

  private static Image lut(Image src, int[] table) {
    byte[] in = src.pixels();
    byte[] out = new byte[in.length];
    for (int i = 0; i < in.length; i++) {
      out[i] = (byte) table[in[i] & 0xFF];
    }
    return src.withPixels(out);
  }

  /** A lookup table per channel. */
  private static Image lut(Image src, int[][] tables) {
    byte[] in = src.pixels();
    byte[] out = new byte[in.length];
    int c = src.channels();
    for (int i = 0; i < in.length; i++) {
      out[i] = (byte) tables[i % c][in[i] & 0xFF];
    }
    return src.withPixels(out);
  }

  public static Image invert(Image src) {
    int[] t = new int[256];
    for (int i = 0; i < 256; i++) {
      t[i] = 255 - i;
    }
    return lut(src, t);
  }

  /** Keeps the {@code bits} most significant bits of every value (0 bits: black). */
  public static Image posterize(Image src, int bits) {
    if (bits >= 8) {
      return src;
    }
    int mask = bits <= 0 ? 0 : ~((1 << (8 - bits)) - 1) & 0xFF;
    int[] t = new int[256];
    for (int i = 0; i < 256; i++) {
      t[i] = i & mask;
    }
    return lut(src, t);
  }

  /** Inverts every value at or above {@code threshold}. */
  public static Image solarize(Image src, int threshold) {
    int[] t = new int[256];
    for (int i = 0; i < 256; i++) {
      t[i] = i < threshold ? i : 255 - i;
    }
    return lut(src, t);
  }

  /** Adds {@code add} (clipped at 255) to every value below {@code threshold}. */
  public static Image solarizeAdd(Image src, int add, int threshold) {
    int[] t = new int[256];
    for (int i = 0; i < 256; i++) {
      t[i] = i < threshold ? Math.min(255, i + add) : i;
    }
    return lut(src, t);
  }

  private static int[][] histograms(Image src) {
    int c = src.channels();
    int[][] h = new int[c][256];
    byte[] in = src.pixels();
    for (int i = 0; i < in.length; i++) {
      h[i % c][in[i] & 0xFF]++;
    }
    return h;
  }

  /** Stretches each channel so its darkest value becomes 0 and its brightest 255. */
  public static Image autoContrast(Image src) {
    int[][] h = histograms(src);
    int[][] tables = new int[h.length][256];
    for (int ch = 0; ch < h.length; ch++) {
      int lo = 0;
      while (lo < 255 && h[ch][lo] == 0) {
        lo++;
      }
      int hi = 255;
      while (hi > 0 && h[ch][hi] == 0) {
        hi--;
      }
      for (int i = 0; i < 256; i++) {
        if (hi <= lo) {
          tables[ch][i] = i;
        } else {
          double scale = 255.0 / (hi - lo);
          double offset = -lo * scale;
          int v = (int) (i * scale + offset);
          tables[ch][i] = Math.max(0, Math.min(255, v));
        }
      }
    }
    return lut(src, tables);
  }

  /** Pillow's histogram equalization, per channel. */
  public static Image equalize(Image src) {
    int[][] h = histograms(src);
    int[][] tables = new int[h.length][256];
    for (int ch = 0; ch < h.length; ch++) {
      int[] hist = h[ch];
      int nonZero = 0;
      int total = 0;
      int last = 0;
      for (int v : hist) {
        if (v != 0) {
          nonZero++;
          total += v;
          last = v;
        }
      }
      int step = nonZero <= 1 ? 0 : (total - last) / 255;
      if (step == 0) {
        for (int i = 0; i < 256; i++) {
          tables[ch][i] = i;
        }
        continue;
      }
      int n = step / 2;
      for (int i = 0; i < 256; i++) {
        tables[ch][i] = Math.min(255, n / step);
        n += hist[i];
      }
    }
    return lut(src, tables);
  }

  // ------------------------------------------------------------- enhancements

  /** Pillow's blend of the degenerate image toward (factor < 1) or away from (> 1) the original. */
  private static int blend(int degenerate, int original, double factor) {
    float v = (float) (degenerate + factor * (original - degenerate));
    return v <= 0 ? 0 : v >= 255 ? 255 : (int) v;
  }

  private static int luma(byte[] p, int i) {
    return ((p[i] & 0xFF) * 19595 + (p[i + 1] & 0xFF) * 38470 + (p[i + 2] & 0xFF) * 7471 + 0x8000)
        >> 16;
  }

  public static Image brightness(Image src, double factor) {
    int[] t = new int[256];
    for (int i = 0; i < 256; i++) {
      t[i] = blend(0, i, factor);
    }
    return lut(src, t);
  }

  public static Image contrast(Image src, double factor) {
    byte[] in = src.pixels();
    long sum = 0;
    if (src.channels() == 3) {
      for (int i = 0; i < in.length; i += 3) {
        sum += luma(in, i);
      }
    } else {
      for (byte b : in) {
        sum += b & 0xFF;
      }
    }
    int pixels = src.height() * src.width();
    int mean = (int) ((double) sum / pixels + 0.5);
    int[] t = new int[256];
    for (int i = 0; i < 256; i++) {
      t[i] = blend(mean, i, factor);
    }
    return lut(src, t);
  }

  /** Saturation: blends with the image's own luminance. */
  public static Image color(Image src, double factor) {
    if (src.channels() == 1) {
      return src;
    }
    byte[] in = src.pixels();
    byte[] out = new byte[in.length];
    for (int i = 0; i < in.length; i += 3) {
      int l = luma(in, i);
      out[i] = (byte) blend(l, in[i] & 0xFF, factor);
      out[i + 1] = (byte) blend(l, in[i + 1] & 0xFF, factor);
      out[i + 2] = (byte) blend(l, in[i + 2] & 0xFF, factor);
    }
    return src.withPixels(out);
  }

  /** Blends with Pillow's SMOOTH filter (3x3, centre 5, others 1, /13); the border stays. */
  public static Image sharpness(Image src, double factor) {
    int h = src.height();
    int w = src.width();
    int c = src.channels();
    byte[] in = src.pixels();
    byte[] out = in.clone();
    int row = w * c;
    for (int y = 1; y < h - 1; y++) {
      for (int x = 1; x < w - 1; x++) {
        for (int ch = 0; ch < c; ch++) {
          int i = y * row + x * c + ch;
          int s =
              (in[i - row - c] & 0xFF)
                  + (in[i - row] & 0xFF)
                  + (in[i - row + c] & 0xFF)
                  + (in[i - c] & 0xFF)
                  + 5 * (in[i] & 0xFF)
                  + (in[i + c] & 0xFF)
                  + (in[i + row - c] & 0xFF)
                  + (in[i + row] & 0xFF)
                  + (in[i + row + c] & 0xFF);
          int smooth = (int) (s / 13f + 0.5f);
          out[i] = (byte) blend(smooth, in[i] & 0xFF, factor);
        }
      }
    }
    return src.withPixels(out);
  }

  // ------------------------------------------------------------- geometry

  /**
   * Pillow's {@code Image.transform(AFFINE, (a, b, c, d, e, f), BILINEAR)}: output pixel {@code (x,
   * y)} samples the input at {@code (a(x+.5) + b(y+.5) + c - .5, d(x+.5) + e(y+.5) + f - .5)};
   * samples outside the image take the fill.
   */
  public static Image affine(
      Image src, double a, double b, double c, double d, double e, double f) {
    int h = src.height();
    int w = src.width();
    int ch = src.channels();
    byte[] in = src.pixels();
    byte[] out = new byte[in.length];
    int[] fill = ch == 3 ? FILL_RGB : new int[] {FILL_GREY};
    for (int y = 0; y < h; y++) {
      double yo = y + 0.5;
      for (int x = 0; x < w; x++) {
        double xo = x + 0.5;
        double sx = a * xo + b * yo + c;
        double sy = d * xo + e * yo + f;
        int o = (y * w + x) * ch;
        if (sx < 0 || sy < 0 || sx >= w || sy >= h) {
          for (int k = 0; k < ch; k++) {
            out[o + k] = (byte) fill[k];
          }
          continue;
        }
        double px = sx - 0.5;
        double py = sy - 0.5;
        int x0 = (int) Math.floor(px);
        int y0 = (int) Math.floor(py);
        double fx = px - x0;
        double fy = py - y0;
        int xa = Math.max(0, x0);
        int xb = Math.min(w - 1, x0 + 1);
        int ya = Math.max(0, y0);
        int yb = Math.min(h - 1, y0 + 1);
        for (int k = 0; k < ch; k++) {
          double top =
              (in[(ya * w + xa) * ch + k] & 0xFF) * (1 - fx)
                  + (in[(ya * w + xb) * ch + k] & 0xFF) * fx;
          double bottom =
              (in[(yb * w + xa) * ch + k] & 0xFF) * (1 - fx)
                  + (in[(yb * w + xb) * ch + k] & 0xFF) * fx;
          int v = (int) Math.round(top * (1 - fy) + bottom * fy);
          out[o + k] = (byte) Math.max(0, Math.min(255, v));
        }
      }
    }
    return src.withPixels(out);
  }

  /** Output (x, y) shows input (x + factor * y, y): the top row stays, lower rows slide. */
  public static Image shearX(Image src, double factor) {
    return affine(src, 1, factor, 0, 0, 1, 0);
  }

  public static Image shearY(Image src, double factor) {
    return affine(src, 1, 0, 0, factor, 1, 0);
  }

  /** Output (x, y) shows input (x + pixels, y): positive moves the content left. */
  public static Image translateX(Image src, double pixels) {
    return affine(src, 1, 0, pixels, 0, 1, 0);
  }

  public static Image translateY(Image src, double pixels) {
    return affine(src, 1, 0, 0, 0, 1, pixels);
  }

  /** Counter-clockwise by {@code degrees} about the centre, as Pillow's {@code rotate}. */
  public static Image rotate(Image src, double degrees) {
    double angle = -Math.toRadians(degrees);
    double a = Math.cos(angle);
    double b = Math.sin(angle);
    double d = -Math.sin(angle);
    double e = Math.cos(angle);
    double cx = src.width() / 2.0;
    double cy = src.height() / 2.0;
    double c = a * -cx + b * -cy + cx;
    double f = d * -cx + e * -cy + cy;
    return affine(src, a, b, c, d, e, f);
  }
}
