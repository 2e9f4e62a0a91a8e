package dev.cardinal.trainer.model;

import dev.cardinal.trainer.model.ResNetSpec.Attention;
import dev.cardinal.trainer.model.ResNetSpec.Avd;
import dev.cardinal.trainer.model.ResNetSpec.BlockKind;
import dev.cardinal.trainer.model.ResNetSpec.Shortcut;
import dev.cardinal.trainer.model.ResNetSpec.Stem;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Named presets of the ResNet family. Each preset is a {@link ResNetSpec} and a family; the
 * definitions follow torchvision ({@code resnet*}, {@code resnext*}, {@code wide_resnet*}) and timm
 * ({@code resnet50d}, {@code resnest*}, {@code resnetrs*}); {@code resnet20/32/44/56/110} are He et
 * al.'s CIFAR networks (10 classes) with 1x1 conv projection shortcuts.
 *
 * <p>ImageNet presets have 1000 classes; use {@link ResNetSpec#withNumClasses(int)} for others. All
 * presets zero-initialize the last BN gamma of each residual branch (timm's default).
 *
 * <p><b>Capacity-matched presets</b> (Xie et al., "Aggregated Residual Transformations", 2017):
 *
 * <ul>
 *   <li>{@code resnext50_1x64d, _2x40d, _4x24d, _8x14d, _32x4d}: the ResNeXt-50 cardinality family
 *       of the paper's Table 2 (C groups of width d in the first stage, doubled at each stage);
 *       1x64d is ResNet-50. Their MACs at 224 px lie within 5% of resnet50's (the paper chose d so
 *       that C x (256 d + 9 d^2 + 256 d), the cost of a first-stage block, stays near ResNet-50's).
 *   <li>{@code resnext29_8x64d, resnext29_16x64d}: the paper's CIFAR ResNeXt-29: a 3x3 stride-1
 *       stem conv with 64 channels, three stages of three bottleneck blocks with outputs 256, 512,
 *       1024, bottleneck width C x d = 512 / 1024 in the first stage, 32 px input, 10 classes.
 *   <li>{@code resnext_s_1x24d, _2x15d, _4x9d, _8x5d}: a small cardinality family sized for a
 *       2-core machine (about 35 MMACs at 28 px): ResNeXt-29's CIFAR skeleton with one block per
 *       stage (depth 11) and stage planes 24, 48, 96 (outputs 96, 192, 384) instead of 64, 128,
 *       256. The widths are the paper's ResNeXt-50 template scaled by 24/64: base widths 64, 40, 24
 *       and 14 (per-group width at 64 planes) give first-stage group widths floor(24 x base / 64) =
 *       24, 15, 9 and 5, so each block's C x (2 x 96 d + 9 d^2) is 9792, 9810, 9828 and 9480 (+ the
 *       same stem, shortcuts and classifier): all four are within 5% of each other in MACs.
 *   <li>{@code resnest_s} (split attention with radix 2, avg-pool downsampling before the 3x3 as in
 *       ResNeSt's "fast" variants, avg-down shortcuts) and {@code resnetrs_s}
 *       (squeeze-and-excitation 0.25, avg-down shortcuts) are the small skeleton of {@code
 *       resnext_s_1x24d}: the ResNeSt and ResNet-RS members at about its cost (a radix-2 split over
 *       2 groups costs the same MACs as one plain 3x3; avd after the 3x3, as in resnest50d, would
 *       run two of the three blocks' 3x3 at four times the pixels). The small plain ResNet is
 *       {@code resnet20}.
 * </ul>
 *
 * <p>{@link #scaled} derives a sweep point from a preset: a width multiplier and a total depth.
 */
public final class ModelPresets {

  public static final String RESNET = "resnet";
  public static final String RESNEXT = "resnext";
  public static final String RESNEST = "resnest";
  public static final String RESNET_RS = "resnet-rs";
  public static final String WIDE_RESNET = "wide-resnet";

  /** A preset's network and the family it belongs to (for grouping and colour in studies). */
  private record Preset(ResNetSpec spec, String family) {}

  /** Stage planes of the small capacity-matched family (ResNeXt-29's are 64). */
  private static final int SMALL_PLANES = 24;

  private static final Map<String, Preset> PRESETS = createPresets();

  private ModelPresets() {}

  /**
   * The preset of that name.
   *
   * @throws IllegalArgumentException for an unknown name; the message lists the known ones
   */
  public static ResNetSpec get(String name) {
    return preset(name).spec();
  }

  /**
   * The family a preset belongs to: {@value #RESNET}, {@value #RESNEXT}, {@value #RESNEST}, {@value
   * #RESNET_RS} or {@value #WIDE_RESNET}. ResNeXt's 1x64d member is a ResNeXt here (it is the
   * cardinality study's baseline); {@code resnet50} is the same network in the ResNet family.
   *
   * @throws IllegalArgumentException for an unknown name; the message lists the known ones
   */
  public static String family(String preset) {
    return preset(preset).family();
  }

  /** Names of all presets, in table order. */
  public static List<String> names() {
    return List.copyOf(PRESETS.keySet());
  }

  /**
   * A sweep point: the preset with its width scaled and its depth set.
   *
   * <p>Width: {@code widthMultiplier} (times the preset's own, 1.0 = unchanged; the product must
   * lie in [0.25, 2]) scales the stem and every stage's planes, each rounded to the nearest
   * multiple of 4 (at least 4). A bottleneck's grouped 3x3 then has width C x max(1, floor(planes x
   * base width / 64)), always a multiple of the cardinality C (and for ResNeSt of C x radix), so
   * every grouped convolution stays valid and the cardinality is never changed by scaling; only the
   * width per group d grows or shrinks. Doubling the width therefore about quadruples the
   * convolutions' MACs.
   *
   * <p>Depth: {@code null} keeps the preset's; otherwise the network's total depth in the preset's
   * own depth family: 6n+2 (20, 32, 44, 56, 110, ...) for CIFAR basic-block nets, 9n+2 (11, 20, 29,
   * ...) for CIFAR bottleneck nets (ResNeXt-29 and the small family), n blocks in each stage; the
   * ImageNet depths of {@link ResNetSpec#stageDepths} for ImageNet nets (18, 34 for basic blocks;
   * 26, 50, 101, 152, 200, 270, 350, 420 for bottlenecks).
   *
   * @throws IllegalArgumentException for an unknown preset, a width multiplier out of range or a
   *     depth the preset's family cannot take; the message lists the valid depths
   */
  public static ResNetSpec scaled(String preset, double widthMultiplier, Integer depth) {
    ResNetSpec spec = get(preset);
    double width = spec.widthMultiplier() * widthMultiplier;
    if (!(width >= 0.25 && width <= 2.0)) {
      throw new IllegalArgumentException(
          "width multiplier "
              + widthMultiplier
              + " for model '"
              + preset
              + "' gives "
              + width
              + " x the base widths; the product must lie in [0.25, 2]");
    }
    if (depth != null) {
      spec = spec.withDepths(stageDepths(preset, spec, depth));
    }
    return spec.withWidthMultiplier(width);
  }

  /** Blocks per stage of {@code spec} rebuilt at total depth {@code depth}. */
  private static List<Integer> stageDepths(String preset, ResNetSpec spec, int depth) {
    if (spec.stem() == Stem.CIFAR) {
      int stages = spec.depths().size();
      int layersPerStage = (spec.block() == BlockKind.BOTTLENECK ? 3 : 2) * stages;
      int maxBlocks =
          Math.min(ResNetSpec.MAX_BLOCKS_PER_STAGE, ResNetSpec.MAX_TOTAL_BLOCKS / stages);
      int blocks = (depth - 2) / layersPerStage;
      if ((depth - 2) % layersPerStage != 0 || blocks < 1 || blocks > maxBlocks) {
        throw new IllegalArgumentException(
            String.format(
                "model '%s' cannot have depth %d: its depths are %dn+2 for n = 1 to %d"
                    + " (%d, %d, %d, ...)",
                preset,
                depth,
                layersPerStage,
                maxBlocks,
                layersPerStage + 2,
                2 * layersPerStage + 2,
                3 * layersPerStage + 2));
      }
      return Collections.nCopies(stages, blocks);
    }
    List<Integer> valid =
        ResNetSpec.IMAGENET_DEPTHS.stream()
            .filter(d -> ResNetSpec.blockKind(d) == spec.block())
            .toList();
    if (!valid.contains(depth)) {
      throw new IllegalArgumentException(
          String.format(
              "model '%s' cannot have depth %d: its %s-block depths are %s",
              preset, depth, spec.block().name().toLowerCase(Locale.ROOT), valid));
    }
    return ResNetSpec.stageDepths(depth);
  }

  private static Preset preset(String name) {
    Preset preset = name == null ? null : PRESETS.get(name);
    if (preset == null) {
      throw new IllegalArgumentException(
          "unknown model '" + name + "'; known models: " + String.join(", ", names()));
    }
    return preset;
  }

  private static Map<String, Preset> createPresets() {
    Map<String, Preset> m = new LinkedHashMap<>();
    for (int depth : new int[] {18, 34, 50, 101, 152, 200}) {
      m.put(
          "resnet" + depth,
          new Preset(ResNetSpec.resnet(depth).withZeroInitLastGamma(true), RESNET));
    }
    m.put("resnet50d", new Preset(timm(50, 1, 64, 32, false, Attention.NONE, Avd.NONE), RESNET));
    // Xie et al. Table 2: cardinality C x width d at about ResNet-50's cost.
    for (int[] cd : new int[][] {{1, 64}, {2, 40}, {4, 24}, {8, 14}, {32, 4}}) {
      m.put(
          "resnext50_" + cd[0] + "x" + cd[1] + "d",
          new Preset(torchvision(50, cd[0], cd[1]), RESNEXT));
    }
    m.put("resnext101_32x8d", new Preset(torchvision(101, 32, 8), RESNEXT));
    m.put("wide_resnet50_2", new Preset(torchvision(50, 1, 128), WIDE_RESNET));
    m.put("wide_resnet101_2", new Preset(torchvision(101, 1, 128), WIDE_RESNET));
    m.put(
        "resnest50d",
        new Preset(timm(50, 1, 64, 32, false, Attention.SPLIT_ATTENTION, Avd.AFTER), RESNEST));
    m.put(
        "resnest101e",
        new Preset(timm(101, 1, 64, 64, false, Attention.SPLIT_ATTENTION, Avd.AFTER), RESNEST));
    m.put("resnest50d_4s2x40d", new Preset(resnest(2, 40, 4), RESNEST));
    m.put("resnest50d_1s4x24d", new Preset(resnest(4, 24, 1), RESNEST));
    for (int depth : new int[] {50, 101, 152, 200, 270, 350, 420}) {
      m.put(
          "resnetrs" + depth,
          new Preset(timm(depth, 1, 64, 32, true, Attention.SE, Avd.NONE), RESNET_RS));
    }
    for (int depth : new int[] {20, 32, 44, 56, 110}) {
      m.put(
          "resnet" + depth,
          new Preset(ResNetSpec.cifar(depth).withZeroInitLastGamma(true), RESNET));
    }
    // resnet20 with ResNet-RS's changes to the network (Bello et al. 2021): squeeze-and-excitation
    // (ratio 0.25) in every block and ResNet-D's average-pool shortcuts. The CIFAR stem stays: 28
    // and 32 px images leave nothing for a deep strided stem to shrink. The fashion-mnist recipe's
    // network.
    m.put(
        "resnetrs20",
        new Preset(
            ResNetSpec.cifar(20)
                .withZeroInitLastGamma(true)
                .withAttention(Attention.SE)
                .withShortcut(Shortcut.AVG_DOWN),
            RESNET_RS));
    m.put("resnext29_8x64d", new Preset(cifarBottleneck(3, 64, 8, 64), RESNEXT));
    m.put("resnext29_16x64d", new Preset(cifarBottleneck(3, 64, 16, 64), RESNEXT));
    // The ResNeXt-50 template's base widths on a small CIFAR skeleton (see the class comment).
    for (int[] cb : new int[][] {{1, 64}, {2, 40}, {4, 24}, {8, 14}}) {
      int groupWidth = SMALL_PLANES * cb[1] / 64;
      m.put(
          "resnext_s_" + cb[0] + "x" + groupWidth + "d",
          new Preset(cifarBottleneck(1, SMALL_PLANES, cb[0], cb[1]), RESNEXT));
    }
    ResNetSpec small = cifarBottleneck(1, SMALL_PLANES, 1, 64);
    m.put(
        "resnest_s",
        new Preset(
            small.with(
                b ->
                    b.attention(Attention.SPLIT_ATTENTION)
                        .radix(2)
                        .avd(Avd.BEFORE)
                        .shortcut(Shortcut.AVG_DOWN)),
            RESNEST));
    m.put(
        "resnetrs_s",
        new Preset(
            small.with(b -> b.attention(Attention.SE).shortcut(Shortcut.AVG_DOWN)), RESNET_RS));
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

  /**
   * Xie et al.'s CIFAR ResNeXt: a 3x3 stem conv of {@code planes} channels, three stages of {@code
   * blocksPerStage} bottlenecks with planes x1, x2, x4 (outputs four times that), 10 classes.
   */
  private static ResNetSpec cifarBottleneck(
      int blocksPerStage, int planes, int cardinality, int baseWidth) {
    return ResNetSpec.cifar(6 * blocksPerStage + 2)
        .with(
            builder ->
                builder
                    .block(BlockKind.BOTTLENECK)
                    .stemWidth(planes)
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
