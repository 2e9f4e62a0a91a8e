package dev.cardinal.augment.ops;

import java.util.SplittableRandom;

/**
 * timm's batch-mode Mixup / CutMix: one {@code lambda ~ Beta(alpha, alpha)} per batch, each image
 * blended (mixup) or patched (cutmix) with the image at the mirrored position of the batch, and the
 * soft labels mixed by the same share of pixels. When both are on, cutmix is chosen with
 * probability {@code switchProb}.
 */
public record MixCut(double mixupAlpha, double cutmixAlpha, double switchProb) {

  public MixCut(double mixupAlpha, double cutmixAlpha) {
    this(mixupAlpha, cutmixAlpha, 0.5);
  }

  public boolean active() {
    return mixupAlpha > 0 || cutmixAlpha > 0;
  }

  /** What was done to a batch: lambda is the share of each image's own label. */
  public record Result(byte[] pixels, float[] softLabels, double lambda, boolean cutmix) {}

  /**
   * Mixes a batch of {@code count} images of {@code h x w x c}.
   *
   * @param labels hard labels, used when {@code softLabels} is null
   * @param softLabels {@code count * classes} label distributions, or null
   */
  public Result apply(
      byte[] pixels,
      int count,
      int h,
      int w,
      int c,
      int classes,
      int[] labels,
      float[] softLabels,
      SplittableRandom random) {
    float[] targets = softLabels != null ? softLabels : oneHot(labels, classes);
    if (!active() || count == 0) {
      return new Result(pixels, targets, 1, false);
    }
    boolean cutmix = cutmixAlpha > 0 && (mixupAlpha <= 0 || random.nextDouble() < switchProb);
    double lam = beta(cutmix ? cutmixAlpha : mixupAlpha, random);
    int bytes = h * w * c;
    byte[] out = new byte[pixels.length];
    if (cutmix) {
      // A box of area (1 - lambda), centred at a uniform point, clipped to the image.
      double cutRatio = Math.sqrt(1 - lam);
      int ch = (int) (h * cutRatio);
      int cw = (int) (w * cutRatio);
      int cy = random.nextInt(h);
      int cx = random.nextInt(w);
      int y0 = clamp(cy - ch / 2, h);
      int y1 = clamp(cy + ch / 2, h);
      int x0 = clamp(cx - cw / 2, w);
      int x1 = clamp(cx + cw / 2, w);
      System.arraycopy(pixels, 0, out, 0, pixels.length);
      for (int i = 0; i < count; i++) {
        int j = count - 1 - i;
        for (int y = y0; y < y1; y++) {
          int off = (y * w + x0) * c;
          System.arraycopy(pixels, j * bytes + off, out, i * bytes + off, (x1 - x0) * c);
        }
      }
      lam = 1 - (double) (y1 - y0) * (x1 - x0) / ((double) h * w);
    } else {
      for (int i = 0; i < count; i++) {
        int j = count - 1 - i;
        for (int k = 0; k < bytes; k++) {
          double v =
              lam * (pixels[i * bytes + k] & 0xFF) + (1 - lam) * (pixels[j * bytes + k] & 0xFF);
          out[i * bytes + k] = (byte) (int) Math.round(v);
        }
      }
    }
    float[] mixed = new float[count * classes];
    for (int i = 0; i < count; i++) {
      int j = count - 1 - i;
      for (int k = 0; k < classes; k++) {
        mixed[i * classes + k] =
            (float) (lam * targets[i * classes + k] + (1 - lam) * targets[j * classes + k]);
      }
    }
    return new Result(out, mixed, lam, cutmix);
  }

  private static int clamp(int v, int max) {
    return Math.max(0, Math.min(max, v));
  }

  public static float[] oneHot(int[] labels, int classes) {
    float[] t = new float[labels.length * classes];
    for (int i = 0; i < labels.length; i++) {
      t[i * classes + labels[i]] = 1;
    }
    return t;
  }

  /** Beta(a, a) from two Gamma draws (Marsaglia and Tsang). */
  static double beta(double alpha, SplittableRandom random) {
    double x = gamma(alpha, random);
    double y = gamma(alpha, random);
    return x + y == 0 ? 0.5 : x / (x + y);
  }

  static double gamma(double shape, SplittableRandom random) {
    if (shape < 1) {
      double u = random.nextDouble();
      return gamma(shape + 1, random) * Math.pow(u, 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x;
      double v;
      do {
        x = RandAugment.gaussian(random);
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      double u = random.nextDouble();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
        return d * v;
      }
    }
  }
}
