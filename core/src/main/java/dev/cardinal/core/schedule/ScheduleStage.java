package dev.cardinal.core.schedule;

import java.util.List;

/**
 * What a run does at one point of its training progress: the image size augment produces and the
 * regularization that augment and trainer apply. Progressive learning raises them together.
 *
 * @param trainResolution side in pixels of the square images augment produces
 * @param randAugmentMagnitude RandAugment magnitude on timm's 0-10 scale (0: no RandAugment)
 * @param randAugmentOps RandAugment ops per image (0: no RandAugment)
 * @param randAugmentMagnitudeStd standard deviation of the per-op magnitude noise (0: none)
 * @param mixupAlpha Beta(alpha, alpha) of batch-level mixup (0: off)
 * @param cutmixAlpha Beta(alpha, alpha) of batch-level cutmix (0: off)
 * @param dropoutRate dropout before the classifier
 * @param dropPathRate stochastic-depth rate of the last block (linearly less in earlier blocks)
 * @param randomErasing probability of erasing one random rectangle per image
 * @param labelSmoothing label-smoothing epsilon the trainer applies to its targets
 * @param cropScaleMin smallest area share of RandomResizedCrop (the largest is 1)
 * @param cropPadding when > 0, pad-and-crop by this many pixels (the CIFAR recipe of He et al.)
 *     instead of RandomResizedCrop
 */
public record ScheduleStage(
    int trainResolution,
    double randAugmentMagnitude,
    int randAugmentOps,
    double randAugmentMagnitudeStd,
    double mixupAlpha,
    double cutmixAlpha,
    double dropoutRate,
    double dropPathRate,
    double randomErasing,
    double labelSmoothing,
    double cropScaleMin,
    int cropPadding) {

  /** The parameter names a schedule file may set, in record order. */
  public static final List<String> PARAMETERS =
      List.of(
          "trainResolution",
          "randAugmentMagnitude",
          "randAugmentOps",
          "randAugmentMagnitudeStd",
          "mixupAlpha",
          "cutmixAlpha",
          "dropoutRate",
          "dropPathRate",
          "randomErasing",
          "labelSmoothing",
          "cropScaleMin",
          "cropPadding");

  /** Parameters that are whole numbers: ramps over them are rounded. */
  static final List<String> INTEGER_PARAMETERS =
      List.of("trainResolution", "randAugmentOps", "cropPadding");

  /** What a parameter is when neither the segment nor the schedule's defaults name it. */
  static double defaultValue(String parameter) {
    return switch (parameter) {
      case "randAugmentOps" -> 2;
      case "cropScaleMin" -> 0.08;
      default -> 0;
    };
  }

  public ScheduleStage {
    if (trainResolution <= 0) {
      throw new IllegalArgumentException("trainResolution must be > 0, got " + trainResolution);
    }
    check("randAugmentMagnitude", randAugmentMagnitude, 0, 30);
    check("randAugmentOps", randAugmentOps, 0, 16);
    check("randAugmentMagnitudeStd", randAugmentMagnitudeStd, 0, 30);
    check("mixupAlpha", mixupAlpha, 0, 100);
    check("cutmixAlpha", cutmixAlpha, 0, 100);
    check("dropoutRate", dropoutRate, 0, 0.99);
    check("dropPathRate", dropPathRate, 0, 0.99);
    check("randomErasing", randomErasing, 0, 1);
    check("labelSmoothing", labelSmoothing, 0, 0.99);
    check("cropScaleMin", cropScaleMin, 0.001, 1);
    check("cropPadding", cropPadding, 0, 1024);
  }

  private static void check(String name, double value, double min, double max) {
    if (!(value >= min && value <= max)) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "], got " + value);
    }
  }

  /** No augmentation beyond crop and flip, no regularization: the plain baseline. */
  public static ScheduleStage plain(int resolution) {
    return new ScheduleStage(resolution, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0.08, 0);
  }

  public boolean randAugment() {
    return randAugmentOps > 0 && (randAugmentMagnitude > 0 || randAugmentMagnitudeStd > 0);
  }

  /** The timm policy string of this stage's RandAugment, e.g. {@code rand-m9-n2-mstd0.5}. */
  public String randAugmentPolicy() {
    StringBuilder s =
        new StringBuilder("rand-m")
            .append(trim(randAugmentMagnitude))
            .append("-n")
            .append(randAugmentOps);
    if (randAugmentMagnitudeStd > 0) {
      s.append("-mstd").append(trim(randAugmentMagnitudeStd));
    }
    return s.toString();
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  double get(String parameter) {
    return switch (parameter) {
      case "trainResolution" -> trainResolution;
      case "randAugmentMagnitude" -> randAugmentMagnitude;
      case "randAugmentOps" -> randAugmentOps;
      case "randAugmentMagnitudeStd" -> randAugmentMagnitudeStd;
      case "mixupAlpha" -> mixupAlpha;
      case "cutmixAlpha" -> cutmixAlpha;
      case "dropoutRate" -> dropoutRate;
      case "dropPathRate" -> dropPathRate;
      case "randomErasing" -> randomErasing;
      case "labelSmoothing" -> labelSmoothing;
      case "cropScaleMin" -> cropScaleMin;
      case "cropPadding" -> cropPadding;
      default -> throw new IllegalArgumentException("unknown schedule parameter " + parameter);
    };
  }

  static ScheduleStage of(double[] v) {
    return new ScheduleStage(
        (int) Math.round(v[0]),
        v[1],
        (int) Math.round(v[2]),
        v[3],
        v[4],
        v[5],
        v[6],
        v[7],
        v[8],
        v[9],
        v[10],
        (int) Math.round(v[11]));
  }
}
