package dev.cardinal.trainer.model;

import dev.cardinal.core.wire.ImageBatch;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.List;

/**
 * One specification for the whole ResNet family (ResNet, ResNet-D, ResNeXt, Wide ResNet, ResNeSt,
 * ResNet-RS and the CIFAR ResNets), modelled on torchvision's and timm's {@code ResNet} class.
 *
 * <p>The record holds only lists, enums and primitives so that it serializes to and from JSON as a
 * plain record (it is written into checkpoint manifests). {@link ResNetBuilder#build} turns it into
 * a DJL block. Copies with other values come from the generated {@link ResNetSpecBuilder.With}
 * withers ({@code withNumClasses}, {@code withDropPathRate}, ...) or {@code with(builder -> ...)}
 * for several fields at once; each goes through the validating constructor.
 *
 * @param depths residual blocks per stage (4 stages for ImageNet stems, usually 3 for CIFAR)
 * @param block basic (two 3x3) or bottleneck (1x1, 3x3, 1x1 with expansion 4) blocks
 * @param cardinality groups of the bottleneck 3x3 convolution (ResNeXt); 1 for plain ResNet
 * @param baseWidth width per group: bottleneck width = floor(planes * baseWidth / 64) * cardinality
 * @param stem classic 7x7/2 + max-pool, deep (three 3x3) or CIFAR (one 3x3, no pool)
 * @param stemWidth width of the deep stem's first two convolutions (its output is twice that); for
 *     the CIFAR stem the width of its one convolution and the first stage's planes (16 for He et
 *     al.'s ResNets, 64 for Xie et al.'s ResNeXt-29); ignored by the classic stem
 * @param stemPoolConv ResNet-RS: replace the stem's max-pool by a 3x3 stride-2 conv + BN + ReLU
 * @param shortcut projection shortcut: strided 1x1 conv (ResNet-B) or 2x2 avg-pool + 1x1 conv
 *     (ResNet-D)
 * @param attention none, squeeze-and-excitation after the last BN of the branch, or split attention
 *     in place of the 3x3 convolution (ResNeSt)
 * @param seRatio reduction ratio of the squeeze-and-excitation bottleneck (timm rd_ratio)
 * @param radix ResNeSt radix (splits per group); used by {@link Attention#SPLIT_ATTENTION}
 * @param avd ResNeSt average-pool downsampling: where the 3x3/2 average pool sits in downsampling
 *     blocks (the 3x3 convolution then has stride 1)
 * @param widthMultiplier scales every stage and stem width (0.25 … 2.0), rounded to a multiple of 4
 * @param dropPathRate stochastic-depth rate of the last block; rises linearly from 0 at the first
 * @param dropoutRate dropout before the classifier
 * @param zeroInitLastGamma zero-initialize the last BN gamma of every residual branch
 * @param numClasses classifier outputs
 */
@RecordBuilder
public record ResNetSpec(
    List<Integer> depths,
    BlockKind block,
    int cardinality,
    int baseWidth,
    Stem stem,
    int stemWidth,
    boolean stemPoolConv,
    Shortcut shortcut,
    Attention attention,
    double seRatio,
    int radix,
    Avd avd,
    double widthMultiplier,
    double dropPathRate,
    double dropoutRate,
    boolean zeroInitLastGamma,
    int numClasses)
    implements ResNetSpecBuilder.With {

  /** Residual block kind. */
  public enum BlockKind {
    BASIC,
    BOTTLENECK
  }

  /** Stem kind. */
  public enum Stem {
    /** 7x7 stride 2 conv (64 channels), BN, ReLU, 3x3 stride 2 max-pool. */
    CLASSIC,
    /** Three 3x3 convs (stemWidth, stemWidth, 2*stemWidth), first strided, then the pool. */
    DEEP,
    /**
     * One 3x3 stride 1 conv with stemWidth channels, BN, ReLU; no pool (He et al.'s CIFAR ResNets,
     * Xie et al.'s ResNeXt-29). Stage planes are stemWidth, 2 x stemWidth, 4 x stemWidth, ...
     */
    CIFAR
  }

  /** Projection shortcut kind (used when the stride or the channel count changes). */
  public enum Shortcut {
    /** 1x1 conv with the block's stride, BN (torchvision, ResNet-B). */
    CONV_STRIDED,
    /** 2x2 avg-pool (ceil mode, padding excluded) with the stride, then 1x1 conv, BN (ResNet-D). */
    AVG_DOWN
  }

  /** Attention plug of the residual branch. */
  public enum Attention {
    NONE,
    /** Squeeze-and-excitation on the branch output (timm SEModule, ratio {@code seRatio}). */
    SE,
    /** Split attention (timm SplitAttn, radix {@code radix}) in place of the 3x3 convolution. */
    SPLIT_ATTENTION
  }

  /** Where ResNeSt's average-pool downsampling sits in a strided block. */
  public enum Avd {
    NONE,
    /** Before the 3x3 (split-attention) convolution (timm avd_first=True). */
    BEFORE,
    /** After the 3x3 (split-attention) convolution (timm avd_first=False). */
    AFTER
  }

  /*
   * Upper limits of the sizes. A spec also arrives from outside (checkpoint events, manifests read
   * on resume), and the builder allocates whatever it names: these keep a forged spec from asking
   * for an absurd network. Each is well above every preset (largest: resnetrs420 with 87 blocks in
   * a stage and 139 in all, resnext101_32x8d with cardinality x width 256, radix 4).
   */

  /** Stages; the builder doubles the width at each, so a sixth stage would reach 16k planes. */
  public static final int MAX_STAGES = 5;

  /** Blocks in one stage (He et al.'s CIFAR ResNet-1202 has 200). */
  public static final int MAX_BLOCKS_PER_STAGE = 200;

  /** Blocks in all stages. */
  public static final int MAX_TOTAL_BLOCKS = 600;

  public static final int MAX_CARDINALITY = 64;

  public static final int MAX_BASE_WIDTH = 256;

  /** Cardinality x base width: the bottleneck width at 64 planes (ResNeXt-101 64x4d: 256). */
  public static final int MAX_GROUP_WIDTH = 1024;

  public static final int MAX_STEM_WIDTH = 256;

  public static final int MAX_RADIX = 8;

  /** The most classes a batch can carry on the wire. */
  public static final int MAX_CLASSES = ImageBatch.MAX_CLASSES;

  /** Validates the spec and copies the depth list. */
  public ResNetSpec {
    if (depths == null || depths.isEmpty()) {
      throw new IllegalArgumentException("depths must name at least one stage");
    }
    depths = List.copyOf(depths);
    requireAtMost("stages (depths list size)", depths.size(), MAX_STAGES);
    for (int d : depths) {
      if (d < 1) {
        throw new IllegalArgumentException("every stage needs at least one block: " + depths);
      }
      requireAtMost("blocks in a stage", d, MAX_BLOCKS_PER_STAGE);
    }
    requireAtMost(
        "blocks in all stages",
        depths.stream().mapToInt(Integer::intValue).sum(),
        MAX_TOTAL_BLOCKS);
    if (block == null || stem == null || shortcut == null || attention == null || avd == null) {
      throw new IllegalArgumentException("block, stem, shortcut, attention and avd are required");
    }
    if (cardinality < 1 || baseWidth < 1) {
      throw new IllegalArgumentException("cardinality and baseWidth must be positive");
    }
    requireAtMost("cardinality", cardinality, MAX_CARDINALITY);
    requireAtMost("baseWidth", baseWidth, MAX_BASE_WIDTH);
    requireAtMost("cardinality x baseWidth", (long) cardinality * baseWidth, MAX_GROUP_WIDTH);
    if ((stem == Stem.DEEP || stem == Stem.CIFAR) && stemWidth < 1) {
      throw new IllegalArgumentException("a deep or CIFAR stem needs a positive stemWidth");
    }
    requireAtMost("stemWidth", stemWidth, MAX_STEM_WIDTH);
    if (attention == Attention.SE && !(seRatio > 0 && seRatio <= 1)) {
      throw new IllegalArgumentException("seRatio must be in (0, 1]: " + seRatio);
    }
    if (attention == Attention.SPLIT_ATTENTION && radix < 1) {
      throw new IllegalArgumentException("split attention needs radix >= 1: " + radix);
    }
    requireAtMost("radix", radix, MAX_RADIX);
    if (attention == Attention.SPLIT_ATTENTION && block != BlockKind.BOTTLENECK) {
      throw new IllegalArgumentException("split attention needs bottleneck blocks");
    }
    if (avd != Avd.NONE && block != BlockKind.BOTTLENECK) {
      throw new IllegalArgumentException("avd needs bottleneck blocks");
    }
    if (!(widthMultiplier >= 0.25 && widthMultiplier <= 2.0)) {
      throw new IllegalArgumentException(
          "widthMultiplier must be in [0.25, 2.0]: " + widthMultiplier);
    }
    if (!(dropPathRate >= 0 && dropPathRate < 1)) {
      throw new IllegalArgumentException("dropPathRate must be in [0, 1): " + dropPathRate);
    }
    if (!(dropoutRate >= 0 && dropoutRate < 1)) {
      throw new IllegalArgumentException("dropoutRate must be in [0, 1): " + dropoutRate);
    }
    if (numClasses < 1) {
      throw new IllegalArgumentException("numClasses must be positive: " + numClasses);
    }
    requireAtMost("numClasses", numClasses, MAX_CLASSES);
  }

  private static void requireAtMost(String field, long value, long limit) {
    if (value > limit) {
      throw new IllegalArgumentException(
          "ResNet spec "
              + field
              + " is "
              + value
              + ", over the limit of "
              + limit
              + "; use a preset (cardinal models lists them) or a spec within the limits");
    }
  }

  /** The ImageNet depths {@link #stageDepths} knows, basic and bottleneck ({@link #blockKind}). */
  public static final List<Integer> IMAGENET_DEPTHS =
      List.of(18, 26, 34, 50, 101, 152, 200, 270, 350, 420);

  /** A plain torchvision-style ResNet of the given depth with 1000 classes. */
  public static ResNetSpec resnet(int depth) {
    return plain().depths(stageDepths(depth)).block(blockKind(depth)).build();
  }

  /** A He et al. CIFAR ResNet (depth 6n+2) with 10 classes and 1x1 conv projection shortcuts. */
  public static ResNetSpec cifar(int depth) {
    return plain()
        .depths(cifarStageDepths(depth))
        .block(BlockKind.BASIC)
        .stem(Stem.CIFAR)
        .stemWidth(16)
        .numClasses(10)
        .build();
  }

  /**
   * Everything but the depths and block kind of a torchvision ResNet: classic stem, strided
   * projection shortcuts, no attention, no regularization, 1000 classes.
   */
  private static ResNetSpecBuilder plain() {
    return ResNetSpecBuilder.builder()
        .cardinality(1)
        .baseWidth(64)
        .stem(Stem.CLASSIC)
        .stemWidth(64)
        .stemPoolConv(false)
        .shortcut(Shortcut.CONV_STRIDED)
        .attention(Attention.NONE)
        .seRatio(0.25)
        .radix(1)
        .avd(Avd.NONE)
        .widthMultiplier(1.0)
        .dropPathRate(0.0)
        .dropoutRate(0.0)
        .zeroInitLastGamma(false)
        .numClasses(1000);
  }

  /**
   * Blocks per stage of the standard ImageNet depths (18, 26, 34, 50, 101, 152, 200 and the
   * ResNet-RS depths 270, 350, 420) and of the CIFAR depths 20, 32, 44, 56, 110 (any 6n+2 below 164
   * that is not an ImageNet depth).
   */
  public static List<Integer> stageDepths(int depth) {
    return switch (depth) {
      case 18, 26 -> List.of(2, 2, 2, 2);
      case 34, 50 -> List.of(3, 4, 6, 3);
      case 101 -> List.of(3, 4, 23, 3);
      case 152 -> List.of(3, 8, 36, 3);
      case 200 -> List.of(3, 24, 36, 3);
      case 270 -> List.of(4, 29, 53, 4);
      case 350 -> List.of(4, 36, 72, 4);
      case 420 -> List.of(4, 44, 87, 4);
      default -> cifarStageDepths(depth);
    };
  }

  /** Blocks per stage of a CIFAR ResNet of depth 6n+2: (n, n, n). */
  public static List<Integer> cifarStageDepths(int depth) {
    if (depth < 8 || (depth - 2) % 6 != 0) {
      throw new IllegalArgumentException(
          "unknown ResNet depth "
              + depth
              + "; ImageNet depths: "
              + IMAGENET_DEPTHS
              + ";"
              + " CIFAR depths: 6n+2 (20, 32, 44, 56, 110, ...)");
    }
    int n = (depth - 2) / 6;
    return List.of(n, n, n);
  }

  /** Basic blocks for the ImageNet depths 18 and 34, bottlenecks for the others. */
  public static BlockKind blockKind(int depth) {
    return depth == 18 || depth == 34 ? BlockKind.BASIC : BlockKind.BOTTLENECK;
  }

  /** Total number of residual blocks. */
  public int totalBlocks() {
    return depths.stream().mapToInt(Integer::intValue).sum();
  }
}
