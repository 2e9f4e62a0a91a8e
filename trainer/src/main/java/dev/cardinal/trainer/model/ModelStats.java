package dev.cardinal.trainer.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.util.Locale;

/**
 * Size and cost of a network, measured on the built DJL block: trainable parameters (BatchNorm
 * running statistics, which DJL counts as parameters, are skipped) and multiply-accumulates of the
 * convolutions and linear layers for one image at a given resolution (the convention of
 * torchvision/timm "GMACs"/"GFLOPs" tables; element-wise ops, pooling and BN are not counted).
 *
 * @param trainableParameters number of trainable scalars
 * @param macs multiply-accumulates per image
 */
public record ModelStats(long trainableParameters, long macs) {

  /** Builds the spec and measures it at {@code resolution} x {@code resolution}. */
  public static ModelStats of(ResNetSpec spec, int resolution) {
    try (NDManager manager = NDManager.newBaseManager()) {
      Block block = ResNetBuilder.build(spec);
      block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, resolution, resolution));
      return new ModelStats(trainableParameters(block), macs(block));
    }
  }

  /** Trainable parameters of an initialized block (BN running mean/var excluded). */
  public static long trainableParameters(Block block) {
    long n = 0;
    for (Pair<String, Parameter> p : block.getParameters()) {
      if (p.getValue().requiresGradient()) {
        n += p.getValue().getShape().size();
      }
    }
    return n;
  }

  /**
   * Multiply-accumulates per sample of the convolutions and linear layers of a block initialized
   * with some input shape; walks the block tree and uses each layer's recorded input shape.
   */
  public static long macs(Block block) {
    long total = 0;
    if (block instanceof Convolution conv) {
      Shape in = conv.getInputShapes()[0];
      Shape out = conv.getOutputShapes(new Shape[] {in})[0];
      long spatial = out.size() / (out.get(0) * out.get(1));
      Shape kernel = conv.getKernelShape();
      long inPerGroup = in.get(1) / conv.getGroups();
      total += (long) conv.getFilters() * inPerGroup * kernel.size() * spatial;
    } else if (block instanceof Linear linear) {
      Shape in = linear.getInputShapes()[0];
      Shape out = linear.getOutputShapes(new Shape[] {in})[0];
      total += in.get(in.dimension() - 1) * out.get(out.dimension() - 1);
    }
    for (Block child : block.getChildren().values()) {
      total += macs(child);
    }
    return total;
  }

  /** Billions of multiply-accumulates. */
  public double gmacs() {
    return macs / 1e9;
  }

  /**
   * The table {@code cardinal models --resolution N --classes K} prints: every preset with its
   * trainable parameter count and GMACs per image at that resolution.
   */
  public static String table(int resolution, int classes) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%-20s %-8s %14s %9s   (%dx%d, %d classes)%n",
            "model",
            "family",
            "params",
            "GMACs",
            resolution,
            resolution,
            classes));
    for (String name : ModelPresets.names()) {
      ResNetSpec spec = ModelPresets.get(name).withNumClasses(classes);
      ModelStats stats = of(spec, resolution);
      sb.append(
          String.format(
              Locale.ROOT,
              "%-20s %-8s %,14d %9.3f%n",
              name,
              family(spec),
              stats.trainableParameters(),
              stats.gmacs()));
    }
    return sb.toString();
  }

  /** Short family label of a spec: resnet, resnext, wide, resnest, resnetrs, cifar. */
  public static String family(ResNetSpec spec) {
    if (spec.stem() == ResNetSpec.Stem.CIFAR) {
      return "cifar";
    }
    return switch (spec.attention()) {
      case SPLIT_ATTENTION -> "resnest";
      case SE -> spec.stemPoolConv() ? "resnetrs" : "se";
      case NONE -> spec.cardinality() > 1 ? "resnext" : spec.baseWidth() > 64 ? "wide" : "resnet";
    };
  }
}
