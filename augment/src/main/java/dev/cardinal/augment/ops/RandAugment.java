package dev.cardinal.augment.ops;

import java.util.List;
import java.util.SplittableRandom;

/**
 * timm's RandAugment: {@code n} ops drawn with replacement from the fifteen below, each applied
 * with probability {@code prob}, at magnitude {@code m} on the 0-10 scale, optionally drawn per op
 * from a normal around {@code m} ({@code mstd}) and clipped to [0, {@code mmax}].
 *
 * @param magnitude 0..10 (more is stronger; as in timm, Posterize and Solarize keep more of the
 *     image at higher levels)
 * @param ops ops per image
 * @param magnitudeStd standard deviation of the magnitude noise; infinity draws uniformly in [0, m]
 * @param magnitudeMax upper clip of the noisy magnitude
 * @param prob probability that each drawn op is applied
 */
public record RandAugment(
    double magnitude, int ops, double magnitudeStd, double magnitudeMax, double prob) {

  /** The op set of timm's {@code _RAND_TRANSFORMS}, in its order. */
  public enum Op {
    AUTO_CONTRAST("AutoContrast"),
    EQUALIZE("Equalize"),
    INVERT("Invert"),
    ROTATE("Rotate"),
    POSTERIZE("Posterize"),
    SOLARIZE("Solarize"),
    SOLARIZE_ADD("SolarizeAdd"),
    COLOR("Color"),
    CONTRAST("Contrast"),
    BRIGHTNESS("Brightness"),
    SHARPNESS("Sharpness"),
    SHEAR_X("ShearX"),
    SHEAR_Y("ShearY"),
    TRANSLATE_X("TranslateXRel"),
    TRANSLATE_Y("TranslateYRel");

    public final String timmName;

    Op(String timmName) {
      this.timmName = timmName;
    }
  }

  private static final List<Op> OPS = List.of(Op.values());
  private static final double LEVEL_DENOM = 10;

  public RandAugment {
    if (!(magnitude >= 0) || ops < 0 || magnitudeStd < 0 || !(prob >= 0 && prob <= 1)) {
      throw new IllegalArgumentException(
          "RandAugment needs m >= 0, n >= 0, mstd >= 0, 0 <= p <= 1: m="
              + magnitude
              + " n="
              + ops
              + " mstd="
              + magnitudeStd
              + " p="
              + prob);
    }
  }

  public RandAugment(double magnitude, int ops, double magnitudeStd) {
    this(magnitude, ops, magnitudeStd, LEVEL_DENOM, 0.5);
  }

  /**
   * Parses a timm policy string: {@code rand-m9-n2-mstd0.5}, with optional {@code -mmax10} and
   * {@code -p0.5}; n defaults to 2, mstd to 0.
   */
  public static RandAugment parse(String policy) {
    String[] parts = policy.split("-");
    if (parts.length == 0 || !parts[0].equals("rand")) {
      throw new IllegalArgumentException(
          "RandAugment policy '" + policy + "' must start with 'rand-' (e.g. rand-m9-n2-mstd0.5)");
    }
    Double m = null;
    int n = 2;
    double std = 0;
    double max = LEVEL_DENOM;
    double p = 0.5;
    for (int i = 1; i < parts.length; i++) {
      String part = parts[i];
      try {
        if (part.startsWith("mstd")) {
          std = Double.parseDouble(part.substring(4));
        } else if (part.startsWith("mmax")) {
          max = Double.parseDouble(part.substring(4));
        } else if (part.startsWith("m")) {
          m = Double.parseDouble(part.substring(1));
        } else if (part.startsWith("n")) {
          n = Integer.parseInt(part.substring(1));
        } else if (part.startsWith("p")) {
          p = Double.parseDouble(part.substring(1));
        } else {
          throw new IllegalArgumentException(
              "RandAugment policy '"
                  + policy
                  + "': unknown part '"
                  + part
                  + "' (m, n, mstd, mmax, p)");
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "RandAugment policy '" + policy + "': '" + part + "' has no valid number", e);
      }
    }
    if (m == null) {
      throw new IllegalArgumentException(
          "RandAugment policy '" + policy + "' names no magnitude (m9)");
    }
    return new RandAugment(m, n, std, max, p);
  }

  /** The argument timm passes to an op at this level (before the random sign). */
  public static double argument(Op op, double level) {
    return switch (op) {
      case ROTATE -> level / LEVEL_DENOM * 30;
      case SHEAR_X, SHEAR_Y -> level / LEVEL_DENOM * 0.3;
      case TRANSLATE_X, TRANSLATE_Y -> level / LEVEL_DENOM * 0.45;
      case POSTERIZE -> (int) (level / LEVEL_DENOM * 4);
      case SOLARIZE -> (int) (level / LEVEL_DENOM * 256);
      case SOLARIZE_ADD -> (int) (level / LEVEL_DENOM * 110);
      case COLOR, CONTRAST, BRIGHTNESS, SHARPNESS -> level / LEVEL_DENOM * 1.8 + 0.1;
      case AUTO_CONTRAST, EQUALIZE, INVERT -> 0;
    };
  }

  /** Applies one op at one level; signed ops get a random sign. */
  public static Image apply(Op op, Image src, double level, SplittableRandom random) {
    double arg = argument(op, level);
    boolean signed =
        switch (op) {
          case ROTATE, SHEAR_X, SHEAR_Y, TRANSLATE_X, TRANSLATE_Y -> true;
          default -> false;
        };
    if (signed && random.nextBoolean()) {
      arg = -arg;
    }
    return switch (op) {
      case AUTO_CONTRAST -> PixelOps.autoContrast(src);
      case EQUALIZE -> PixelOps.equalize(src);
      case INVERT -> PixelOps.invert(src);
      case ROTATE -> PixelOps.rotate(src, arg);
      case POSTERIZE -> PixelOps.posterize(src, (int) arg);
      case SOLARIZE -> PixelOps.solarize(src, (int) arg);
      case SOLARIZE_ADD -> PixelOps.solarizeAdd(src, (int) arg, 128);
      case COLOR -> PixelOps.color(src, arg);
      case CONTRAST -> PixelOps.contrast(src, arg);
      case BRIGHTNESS -> PixelOps.brightness(src, arg);
      case SHARPNESS -> PixelOps.sharpness(src, arg);
      case SHEAR_X -> PixelOps.shearX(src, arg);
      case SHEAR_Y -> PixelOps.shearY(src, arg);
      case TRANSLATE_X -> PixelOps.translateX(src, arg * src.width());
      case TRANSLATE_Y -> PixelOps.translateY(src, arg * src.height());
    };
  }

  /** Receives the nanoseconds each applied op took, by op. */
  public interface Timer {
    void record(Op op, long nanos);

    Timer NONE = (op, nanos) -> {};
  }

  public Image apply(Image src, SplittableRandom random) {
    return apply(src, random, Timer.NONE);
  }

  public Image apply(Image src, SplittableRandom random, Timer timer) {
    Image img = src;
    for (int i = 0; i < ops; i++) {
      Op op = OPS.get(random.nextInt(OPS.size()));
      if (prob < 1 && random.nextDouble() > prob) {
        continue;
      }
      double level = magnitude;
      if (magnitudeStd == Double.POSITIVE_INFINITY) {
        level = random.nextDouble() * magnitude;
      } else if (magnitudeStd > 0) {
        level = magnitude + magnitudeStd * gaussian(random);
      }
      level = Math.max(0, Math.min(magnitudeMax, level));
      long t0 = System.nanoTime();
      img = apply(op, img, level, random);
      timer.record(op, System.nanoTime() - t0);
    }
    return img;
  }

  static double gaussian(SplittableRandom random) {
    double u1 = 1 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** The policy string in timm's syntax. */
  public String policy() {
    StringBuilder s = new StringBuilder("rand-m").append(fmt(magnitude)).append("-n").append(ops);
    if (magnitudeStd > 0) {
      s.append("-mstd").append(fmt(magnitudeStd));
    }
    if (magnitudeMax != LEVEL_DENOM) {
      s.append("-mmax").append(fmt(magnitudeMax));
    }
    if (prob != 0.5) {
      s.append("-p").append(fmt(prob));
    }
    return s.toString();
  }

  private static String fmt(double v) {
    return v == Math.rint(v) && !Double.isInfinite(v)
        ? Long.toString((long) v)
        : Double.toString(v);
  }
}
