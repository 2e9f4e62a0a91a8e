package dev.cardinal.trainer.model;

import dev.cardinal.trainer.model.ResNetSpec.Attention;
import dev.cardinal.trainer.model.ResNetSpec.Avd;
import dev.cardinal.trainer.model.ResNetSpec.BlockKind;
import dev.cardinal.trainer.model.ResNetSpec.Shortcut;
import dev.cardinal.trainer.model.ResNetSpec.Stem;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named presets of the ResNet family. Each preset is only a {@link ResNetSpec}; the definitions
 * follow torchvision ({@code resnet*}, {@code resnext*}, {@code wide_resnet*}) and timm ({@code
 * resnet50d}, {@code resnest*}, {@code resnetrs*}); {@code resnet20/32/44/56/110} are He et al.'s
 * CIFAR networks (10 classes) with 1x1 conv projection shortcuts.
 *
 * <p>ImageNet presets have 1000 classes; use {@link ResNetSpec#withNumClasses(int)} for others. All
 * presets zero-initialize the last BN gamma of each residual branch (timm's default).
 */
public final class ModelPresets {

  private static final Map<String, ResNetSpec> PRESETS = createPresets();

  private ModelPresets() {}

  /**
   * The preset of that name.
   *
   * @throws IllegalArgumentException for an unknown name; the message lists the known ones
   */
  public static ResNetSpec get(String name) {
    ResNetSpec spec = name == null ? null : PRESETS.get(name);
    if (spec == null) {
      throw new IllegalArgumentException(
          "unknown model '" + name + "'; known models: " + String.join(", ", names()));
    }
    return spec;
  }

  /** Names of all presets, in table order. */
  public static List<String> names() {
    return List.copyOf(PRESETS.keySet());
  }

  private static Map<String, ResNetSpec> createPresets() {
    Map<String, ResNetSpec> m = new LinkedHashMap<>();
    for (int depth : new int[] {18, 34, 50, 101, 152, 200}) {
      m.put("resnet" + depth, ResNetSpec.resnet(depth).withZeroInitLastGamma(true));
    }
    m.put("resnet50d", timm(50, 1, 64, 32, false, Attention.NONE, Avd.NONE));
    m.put("resnext50_32x4d", torchvision(50, 32, 4));
    m.put("resnext101_32x8d", torchvision(101, 32, 8));
    m.put("wide_resnet50_2", torchvision(50, 1, 128));
    m.put("wide_resnet101_2", torchvision(101, 1, 128));
    m.put("resnest50d", timm(50, 1, 64, 32, false, Attention.SPLIT_ATTENTION, Avd.AFTER));
    m.put("resnest101e", timm(101, 1, 64, 64, false, Attention.SPLIT_ATTENTION, Avd.AFTER));
    m.put("resnest50d_4s2x40d", resnest(2, 40, 4));
    m.put("resnest50d_1s4x24d", resnest(4, 24, 1));
    for (int depth : new int[] {50, 101, 152, 200, 270, 350, 420}) {
      m.put("resnetrs" + depth, timm(depth, 1, 64, 32, true, Attention.SE, Avd.NONE));
    }
    for (int depth : new int[] {20, 32, 44, 56, 110}) {
      m.put("resnet" + depth, ResNetSpec.cifar(depth).withZeroInitLastGamma(true));
    }
    return m;
  }

  /** torchvision's bottleneck ResNet, ResNeXt (cardinality) and Wide ResNet (base width). */
  private static ResNetSpec torchvision(int depth, int cardinality, int baseWidth) {
    return ResNetSpec.resnet(depth)
        .with(
            builder ->
                builder
                    .block(BlockKind.BOTTLENECK)
                    .cardinality(cardinality)
                    .baseWidth(baseWidth)
                    .zeroInitLastGamma(true));
  }

  /** timm's ResNeSt-50 ablation variants: radix, groups, width per group; avd before the 3x3. */
  private static ResNetSpec resnest(int cardinality, int baseWidth, int radix) {
    return timm(50, cardinality, baseWidth, 32, false, Attention.SPLIT_ATTENTION, Avd.BEFORE)
        .withRadix(radix);
  }

  /**
   * timm deep-stem, avg-down bottleneck ResNet (the D/E/RS/ResNeSt variants): torchvision's with
   * another stem, shortcut and attention.
   */
  private static ResNetSpec timm(
      int depth,
      int cardinality,
      int baseWidth,
      int stemWidth,
      boolean stemPoolConv,
      Attention attention,
      Avd avd) {
    return torchvision(depth, cardinality, baseWidth)
        .with(
            builder ->
                builder
                    .stem(Stem.DEEP)
                    .stemWidth(stemWidth)
                    .stemPoolConv(stemPoolConv)
                    .shortcut(Shortcut.AVG_DOWN)
                    .attention(attention)
                    .radix(2)
                    .avd(avd));
  }
}
