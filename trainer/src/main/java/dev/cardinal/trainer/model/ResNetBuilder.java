package dev.cardinal.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.initializer.Initializer;
import dev.cardinal.trainer.model.ResNetSpec.Attention;
import dev.cardinal.trainer.model.ResNetSpec.Avd;
import dev.cardinal.trainer.model.ResNetSpec.BlockKind;
import dev.cardinal.trainer.model.ResNetSpec.Shortcut;
import dev.cardinal.trainer.model.ResNetSpec.Stem;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a DJL block from a {@link ResNetSpec}, following torchvision's and timm's {@code ResNet}:
 * stem, stages of basic or bottleneck blocks (stride in the 3x3 convolution, "v1.5"), global
 * average pool, optional dropout and a linear classifier.
 *
 * <p>Input: NCHW float32, already normalized, any resolution. Output: logits (N, classes).
 * Convolutions have no bias (except the 1x1 attention convolutions, as in timm) and use DJL's
 * default He-normal weight initializer; BatchNorm epsilon is 1e-5.
 */
public final class ResNetBuilder {

  private static final int[] IMAGENET_PLANES = {64, 128, 256, 512};

  private ResNetBuilder() {}

  /** Builds the network described by {@code spec}. */
  public static Block build(ResNetSpec spec) {
    SequentialBlock net = new SequentialBlock();
    int inplanes = addStem(net, spec);
    int expansion = spec.block() == BlockKind.BOTTLENECK ? 4 : 1;
    int total = spec.totalBlocks();
    int index = 0;
    for (int stage = 0; stage < spec.depths().size(); stage++) {
      int planes = stagePlanes(spec, stage);
      int stageStride = stage == 0 ? 1 : 2;
      for (int j = 0; j < spec.depths().get(stage); j++) {
        int stride = j == 0 ? stageStride : 1;
        int outplanes = planes * expansion;
        Block shortcut =
            stride != 1 || inplanes != outplanes ? shortcut(spec, outplanes, stride) : null;
        double dropPath = total > 1 ? spec.dropPathRate() * index / (total - 1) : 0.0;
        Block branch =
            spec.block() == BlockKind.BOTTLENECK
                ? bottleneck(spec, inplanes, planes, stride, dropPath)
                : basic(spec, planes, stride, dropPath);
        net.add(new Residual(branch, shortcut));
        inplanes = outplanes;
        index++;
      }
    }
    net.add(
        new Op("GlobalAvgPool", x -> spatialMean(x, false), s -> new Shape(s.get(0), s.get(1))));
    if (spec.dropoutRate() > 0) {
      net.add(DropPath.dropout(spec.dropoutRate()));
    }
    net.add(Linear.builder().setUnits(spec.numClasses()).build());
    return net;
  }

  /** Output channels of the stem (input channels of the first stage). */
  private static int addStem(SequentialBlock net, ResNetSpec spec) {
    switch (spec.stem()) {
      case CIFAR -> {
        int width = scale(spec.stemWidth(), spec.widthMultiplier());
        net.add(conv(width, 3, 1, 1, 1, false)).add(batchNorm()).add(Op.relu());
        return width;
      }
      case CLASSIC -> {
        int width = scale(64, spec.widthMultiplier());
        net.add(conv(width, 7, 2, 3, 1, false)).add(batchNorm()).add(Op.relu());
        addStemPool(net, spec, width);
        return width;
      }
      case DEEP -> {
        int width = scale(spec.stemWidth(), spec.widthMultiplier());
        net.add(conv(width, 3, 2, 1, 1, false)).add(batchNorm()).add(Op.relu());
        net.add(conv(width, 3, 1, 1, 1, false)).add(batchNorm()).add(Op.relu());
        net.add(conv(2 * width, 3, 1, 1, 1, false)).add(batchNorm()).add(Op.relu());
        addStemPool(net, spec, 2 * width);
        return 2 * width;
      }
      default -> throw new IllegalArgumentException("unknown stem " + spec.stem());
    }
  }

  private static void addStemPool(SequentialBlock net, ResNetSpec spec, int channels) {
    if (spec.stemPoolConv()) {
      net.add(conv(channels, 3, 2, 1, 1, false)).add(batchNorm()).add(Op.relu());
    } else {
      Shape k = new Shape(3, 3);
      Shape s = new Shape(2, 2);
      Shape p = new Shape(1, 1);
      net.add(new Op("MaxPool3x3s2", x -> Pool.maxPool2d(x, k, s, p, false), poolShape(3, 2, 1)));
    }
  }

  private static int stagePlanes(ResNetSpec spec, int stage) {
    int base =
        spec.stem() == Stem.CIFAR
            ? spec.stemWidth() << stage
            : stage < IMAGENET_PLANES.length ? IMAGENET_PLANES[stage] : 512 << (stage - 3);
    return scale(base, spec.widthMultiplier());
  }

  private static Block basic(ResNetSpec spec, int planes, int stride, double dropPath) {
    SequentialBlock b = new SequentialBlock();
    b.add(conv(planes, 3, stride, 1, 1, false)).add(batchNorm()).add(Op.relu());
    b.add(conv(planes, 3, 1, 1, 1, false)).add(lastBatchNorm(spec));
    if (spec.attention() == Attention.SE) {
      b.add(new SqueezeExcite(planes, spec.seRatio()));
    }
    if (dropPath > 0) {
      b.add(new DropPath(dropPath));
    }
    return b;
  }

  private static Block bottleneck(
      ResNetSpec spec, int inplanes, int planes, int stride, double dropPath) {
    // At least one channel per group: a small width multiplier can floor a narrow group to zero.
    int perGroup = Math.max(1, (int) Math.floor(planes * (spec.baseWidth() / 64.0)));
    if (spec.attention() == Attention.SPLIT_ATTENTION && perGroup % spec.radix() != 0) {
      // The split-attention conv has cardinality * radix groups over its input; only reachable
      // with a width multiplier (the presets' widths divide evenly).
      perGroup = (perGroup + spec.radix() - 1) / spec.radix() * spec.radix();
    }
    int width = perGroup * spec.cardinality();
    int avdStride = spec.avd() != Avd.NONE && stride > 1 ? stride : 0;
    int convStride = avdStride > 0 ? 1 : stride;
    SequentialBlock b = new SequentialBlock();
    b.add(conv(width, 1, 1, 0, 1, false)).add(batchNorm()).add(Op.relu());
    if (avdStride > 0 && spec.avd() == Avd.BEFORE) {
      b.add(avd(avdStride));
    }
    if (spec.attention() == Attention.SPLIT_ATTENTION) {
      b.add(new SplitAttention(width, width, convStride, spec.cardinality(), spec.radix()));
    } else {
      b.add(conv(width, 3, convStride, 1, spec.cardinality(), false))
          .add(batchNorm())
          .add(Op.relu());
    }
    if (avdStride > 0 && spec.avd() == Avd.AFTER) {
      b.add(avd(avdStride));
    }
    b.add(conv(planes * 4, 1, 1, 0, 1, false)).add(lastBatchNorm(spec));
    if (spec.attention() == Attention.SE) {
      b.add(new SqueezeExcite(planes * 4, spec.seRatio()));
    }
    if (dropPath > 0) {
      b.add(new DropPath(dropPath));
    }
    return b;
  }

  /**
   * Mean over the spatial axes of an NCHW array: (N, C) or, with {@code keepDims}, (N, C, 1, 1).
   * The PyTorch engine's mean takes one axis, so the spatial axes are flattened into one first.
   */
  static NDArray spatialMean(NDArray x, boolean keepDims) {
    Shape s = x.getShape();
    NDArray m = x.reshape(s.get(0), s.get(1), s.get(2) * s.get(3)).mean(new int[] {2});
    return keepDims ? m.reshape(s.get(0), s.get(1), 1, 1) : m;
  }

  /** ResNeSt average-pool downsampling: 3x3 avg pool, padding 1, padding counted (PyTorch). */
  private static Block avd(int stride) {
    Shape k = new Shape(3, 3);
    Shape s = new Shape(stride, stride);
    Shape p = new Shape(1, 1);
    return new Op(
        "AvgPool3x3s" + stride,
        x -> Pool.avgPool2d(x, k, s, p, false, true),
        poolShape(3, stride, 1));
  }

  private static Block shortcut(ResNetSpec spec, int outplanes, int stride) {
    SequentialBlock s = new SequentialBlock();
    if (spec.shortcut() == Shortcut.AVG_DOWN) {
      if (stride > 1) {
        Shape k = new Shape(2, 2);
        Shape st = new Shape(stride, stride);
        Shape p = new Shape(0, 0);
        s.add(
            new Op(
                "AvgPool2x2s" + stride + "ceil",
                x -> Pool.avgPool2d(x, k, st, p, true, false),
                shape -> {
                  long h = ceilDiv(shape.get(2) - 2, stride) + 1;
                  long w = ceilDiv(shape.get(3) - 2, stride) + 1;
                  // PyTorch drops a last window that would start in the padding only; with no
                  // padding a window starting inside the input always stays.
                  return new Shape(shape.get(0), shape.get(1), h, w);
                }));
      }
      s.add(conv(outplanes, 1, 1, 0, 1, false));
    } else {
      s.add(
          stride > 1
              ? SubsampledConv2d.pointwise(outplanes, stride)
              : conv(outplanes, 1, 1, 0, 1, false));
    }
    s.add(batchNorm());
    return s;
  }

  private static long ceilDiv(long a, long b) {
    return a <= 0 ? 0 : (a + b - 1) / b;
  }

  private static java.util.function.UnaryOperator<Shape> poolShape(
      int kernel, int stride, int pad) {
    return s ->
        new Shape(
            s.get(0),
            s.get(1),
            (s.get(2) + 2L * pad - kernel) / stride + 1,
            (s.get(3) + 2L * pad - kernel) / stride + 1);
  }

  private static BatchNorm lastBatchNorm(ResNetSpec spec) {
    BatchNorm bn = batchNorm();
    if (spec.zeroInitLastGamma()) {
      bn.setInitializer(Initializer.ZEROS, Parameter.Type.GAMMA);
    }
    return bn;
  }

  static BatchNorm batchNorm() {
    return BatchNorm.builder().optEpsilon(1e-5f).build();
  }

  static Conv2d conv(int filters, int kernel, int stride, int pad, int groups, boolean bias) {
    return Conv2d.builder()
        .setKernelShape(new Shape(kernel, kernel))
        .setFilters(filters)
        .optStride(new Shape(stride, stride))
        .optPadding(new Shape(pad, pad))
        .optGroups(groups)
        .optBias(bias)
        .build();
  }

  /** Scales a channel count by the width multiplier, rounded to a multiple of 4 (at least 4). */
  static int scale(int channels, double multiplier) {
    if (multiplier == 1.0) {
      return channels;
    }
    return Math.max(4, (int) Math.round(channels * multiplier / 4.0) * 4);
  }

  /** timm's {@code make_divisible}. */
  static int makeDivisible(double v, int divisor, int minValue, double roundLimit) {
    int min = minValue > 0 ? minValue : divisor;
    int newV = Math.max(min, (int) (v + divisor / 2.0) / divisor * divisor);
    if (newV < roundLimit * v) {
      newV += divisor;
    }
    return newV;
  }

  /** Every {@link DropPath} of the network, in order (for tests and schedules). */
  public static List<DropPath> dropPaths(Block block) {
    List<DropPath> out = new ArrayList<>();
    collect(block, out, true);
    return out;
  }

  /** The dropout before the classifier, if the spec has one (for schedules). */
  public static List<DropPath> dropouts(Block block) {
    List<DropPath> out = new ArrayList<>();
    collect(block, out, false);
    return out;
  }

  private static void collect(Block block, List<DropPath> out, boolean perSample) {
    if (block instanceof DropPath d && d.perSample() == perSample) {
      out.add(d);
    }
    for (Block child : block.getChildren().values()) {
      collect(child, out, perSample);
    }
  }
}
