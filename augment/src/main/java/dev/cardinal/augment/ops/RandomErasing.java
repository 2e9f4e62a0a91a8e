package dev.cardinal.augment.ops;

import java.util.SplittableRandom;

/**
 * timm's RandomErasing (Zhong et al.): with probability {@code probability}, one rectangle of
 * 2%..33% of the area with a log-uniform aspect ratio in [0.3, 3.3] is filled with random values
 * ({@code per-pixel} mode; on uint8 pixels uniform noise stands in for timm's normal noise in
 * normalized space). Up to ten tries to fit the rectangle, else the image is left as it is.
 */
public record RandomErasing(double probability, double areaMin, double areaMax, double ratioMin) {

  public RandomErasing(double probability) {
    this(probability, 0.02, 1.0 / 3, 0.3);
  }

  /** The rectangle erased, or null. */
  public record Box(int x, int y, int w, int h) {}

  public Box sample(int height, int width, SplittableRandom random) {
    if (probability <= 0 || random.nextDouble() >= probability) {
      return null;
    }
    double area = (double) height * width;
    double logMin = Math.log(ratioMin);
    double logMax = Math.log(1 / ratioMin);
    for (int attempt = 0; attempt < 10; attempt++) {
      double target = area * (areaMin + (areaMax - areaMin) * random.nextDouble());
      double ratio = Math.exp(logMin + (logMax - logMin) * random.nextDouble());
      int h = (int) Math.round(Math.sqrt(target * ratio));
      int w = (int) Math.round(Math.sqrt(target / ratio));
      if (w > 0 && h > 0 && w < width && h < height) {
        return new Box(random.nextInt(width - w + 1), random.nextInt(height - h + 1), w, h);
      }
    }
    return null;
  }

  public Image apply(Image src, SplittableRandom random) {
    Box b = sample(src.height(), src.width(), random);
    if (b == null) {
      return src;
    }
    byte[] out = src.pixels().clone();
    int c = src.channels();
    for (int y = b.y(); y < b.y() + b.h(); y++) {
      int row = (y * src.width() + b.x()) * c;
      for (int i = 0; i < b.w() * c; i++) {
        out[row + i] = (byte) random.nextInt(256);
      }
    }
    return src.withPixels(out);
  }
}
