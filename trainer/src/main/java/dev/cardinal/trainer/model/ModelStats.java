package dev.cardinal.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.util.Locale;
import java.util.function.Function;

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
    return withShapes(
        spec, resolution, block -> new ModelStats(trainableParameters(block), macs(block)));
  }

  /**
   * What {@code measure} reads from the spec's network with every layer's shapes inferred for a
   * {@code resolution} x {@code resolution} image. Nothing runs on the engine: the parameters are
   * allocated but not drawn (drawing takes seconds for the deepest presets).
   */
  static <T> T withShapes(ResNetSpec spec, int resolution, Function<Block, T> measure) {
    try (NDManager manager = NDManager.newBaseManager()) {
      Block block = ResNetBuilder.build(spec);
      block.setInitializer(ModelStats::uninitialized, parameter -> true);
      block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, resolution, resolution));
      return measure.apply(block);
    }
  }

  /**
   * Parameters and MACs of {@code spec} with {@code classes} classifier outputs at {@code
   * resolution} x {@code resolution} (what a sweep records per point). Builds the network and
   * infers its shapes, nothing runs: well under a second for the small presets, a few seconds for
   * the deepest ImageNet ones.
   */
  public static ModelStats count(ResNetSpec spec, int resolution, int classes) {
    return of(spec.withNumClasses(classes), resolution);
  }

  private static NDArray uninitialized(NDManager manager, Shape shape, DataType dataType) {
    return manager.create(shape, dataType);
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
   * family, trainable parameter count and millions of MACs per image at that resolution.
   */
  public static String table(int resolution, int classes) {
    StringBuilder sb = new StringBuilder();
    String row = "%-20s %-12s %14s %12s";
    sb.append(String.format(Locale.ROOT, row, "model", "family", "params", "MMACs"))
        .append(
            String.format(
                Locale.ROOT, "   (%dx%d, %d classes)%n", resolution, resolution, classes));
    for (String name : ModelPresets.names()) {
      ModelStats stats = count(ModelPresets.get(name), resolution, classes);
      sb.append(
              String.format(
                  Locale.ROOT,
                  row,
                  name,
                  ModelPresets.family(name),
                  String.format(Locale.ROOT, "%,d", stats.trainableParameters()),
                  String.format(Locale.ROOT, "%,.1f", stats.macs() / 1e6)))
          .append(System.lineSeparator());
    }
    return sb.toString();
  }
}
