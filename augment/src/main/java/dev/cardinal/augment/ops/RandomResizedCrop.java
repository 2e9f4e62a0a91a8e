package dev.cardinal.augment.ops;

import java.util.SplittableRandom;

/**
 * torchvision's RandomResizedCrop: a box covering a random share of the area in [scaleMin,
 * scaleMax] with a log-uniform aspect ratio in [ratioMin, ratioMax] (ten tries, then the centred
 * box of the clamped ratio), resized to the output size; fused with the horizontal flip so the
 * pixels are touched once.
 */
public record RandomResizedCrop(
    double scaleMin, double scaleMax, double ratioMin, double ratioMax) {

  /** The ImageNet defaults: area 8%..100%, ratio 3/4..4/3. */
  public static final RandomResizedCrop IMAGENET =
      new RandomResizedCrop(0.08, 1.0, 3.0 / 4, 4.0 / 3);

  public RandomResizedCrop {
    if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1)) {
      throw new IllegalArgumentException(
          "need 0 < scaleMin <= scaleMax <= 1: " + scaleMin + ", " + scaleMax);
    }
    if (!(ratioMin > 0 && ratioMin <= ratioMax)) {
      throw new IllegalArgumentException(
          "need 0 < ratioMin <= ratioMax: " + ratioMin + ", " + ratioMax);
    }
  }

  public RandomResizedCrop withScaleMin(double min) {
    return new RandomResizedCrop(min, scaleMax, ratioMin, ratioMax);
  }

  /** A crop box in pixels: {@code x, y} top-left, {@code w x h}. */
  public record Box(int x, int y, int w, int h) {}

  /** Draws the box for an image of {@code height x width} (torchvision's get_params). */
  public Box sample(int height, int width, SplittableRandom random) {
    double area = (double) height * width;
    double logMin = Math.log(ratioMin);
    double logMax = Math.log(ratioMax);
    for (int attempt = 0; attempt < 10; attempt++) {
      double target = area * (scaleMin + (scaleMax - scaleMin) * random.nextDouble());
      double ratio = Math.exp(logMin + (logMax - logMin) * random.nextDouble());
      int w = (int) Math.round(Math.sqrt(target * ratio));
      int h = (int) Math.round(Math.sqrt(target / ratio));
      if (w > 0 && h > 0 && w <= width && h <= height) {
        int y = random.nextInt(height - h + 1);
        int x = random.nextInt(width - w + 1);
        return new Box(x, y, w, h);
      }
    }
    double inRatio = (double) width / height;
    int w;
    int h;
    if (inRatio < ratioMin) {
      w = width;
      h = (int) Math.round(w / ratioMin);
    } else if (inRatio > ratioMax) {
      h = height;
      w = (int) Math.round(h * ratioMax);
    } else {
      w = width;
      h = height;
    }
    return new Box((width - w) / 2, (height - h) / 2, w, h);
  }

  /** Crops a random box, resizes it to {@code outH x outW}, and flips it with probability 1/2. */
  public Image apply(Image src, int outH, int outW, SplittableRandom random) {
    Box b = sample(src.height(), src.width(), random);
    boolean flip = random.nextBoolean();
    return Resample.box(src, b.x(), b.y(), b.w(), b.h(), outH, outW, flip);
  }
}
