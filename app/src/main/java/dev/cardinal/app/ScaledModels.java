package dev.cardinal.app;

import dev.cardinal.trainer.model.ModelPresets;
import dev.cardinal.trainer.model.ModelStats;
import dev.cardinal.trainer.model.ResNetSpec;

/**
 * A preset scaled in width and depth, its family and its size: what a sweep point trains.
 *
 * <p>ADAPTER, to be switched at merge: the trainer's {@code ModelPresets.scaled(preset,
 * widthMultiplier, depth)} and {@code ModelPresets.family(preset)} are being added in parallel;
 * until they are on main this builds the same from what exists (the spec's width multiplier, the
 * stage depths of {@link ResNetSpec}, {@link ModelStats}). Only this class needs to change then.
 */
final class ScaledModels {
  private ScaledModels() {}

  /**
   * The preset with every width scaled and, when {@code depth} is given, the stage depths of that
   * total depth (CIFAR stems: 6n+2; ImageNet stems: 18, 26, 34, 50, 101, ...), keeping the preset's
   * block kind.
   *
   * @throws IllegalArgumentException naming what the preset cannot take
   */
  static ResNetSpec scaled(String preset, double widthMultiplier, Integer depth) {
    ResNetSpec spec = ModelPresets.get(preset).withWidthMultiplier(widthMultiplier);
    if (depth == null) {
      return spec;
    }
    return spec.withDepths(
        spec.stem() == ResNetSpec.Stem.CIFAR
            ? ResNetSpec.cifarStageDepths(depth)
            : ResNetSpec.stageDepths(depth));
  }

  /**
   * The family a point is grouped and coloured by: {@code resnet}, {@code resnext}, {@code
   * resnest}, {@code resnet-rs} or {@code wide-resnet}.
   */
  static String family(String preset) {
    return switch (ModelStats.family(ModelPresets.get(preset))) {
      case "resnext" -> "resnext";
      case "resnest" -> "resnest";
      case "resnetrs" -> "resnet-rs";
      case "wide" -> "wide-resnet";
      default -> "resnet";
    };
  }

  /** Trainable parameters and MACs per image at {@code resolution}, for {@code classes} outputs. */
  static ModelStats stats(ResNetSpec spec, int classes, int resolution) {
    return ModelStats.of(spec.withNumClasses(classes), resolution);
  }
}
