package dev.cardinal.trainer.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import java.util.Random;

/**
 * Checks that the engine back-propagates through a convolution correctly on this CPU.
 *
 * <p>Why: oneDNN 3.7 in libtorch 2.7.1 on AVX-512 CPUs (seen on an AMD EPYC virtual machine)
 * computes the input gradient of a float32 3x3 stride-1 ungrouped convolution whose channel counts
 * are not multiples of 16 (the {@code jit:avx512_core backward_data} kernel on channel-padded
 * {@code aBcd16b} layouts; seen with 4, 8, 12, 24 and 40 channels, and 16 in / 8 out) from memory
 * it never wrote: the gradient is NaN or off by tens of percent, depending on what the process's
 * heap held before. 1x1, strided and grouped convolutions of the same sizes were right. Networks
 * then train on wrong gradients without any error; tests saw NaN or missing gradients only after
 * other work had run in the same JVM. With {@code ONEDNN_MAX_CPU_ISA=AVX2} in the environment (read
 * by oneDNN when the process starts) the AVX2 kernels, which block channels by 8, are used and the
 * gradient is right.
 *
 * <p>The check fills freed heap memory with NaN first, so the fault shows every time rather than by
 * chance, and compares a 3x3 convolution over 8 channels with the same computation in float64
 * (which does not go through oneDNN). It uses its own data, not the engine's random generator, so
 * seeded runs stay reproducible.
 */
public final class ConvGradientCheck {

  /** The environment setting that avoids the faulty kernels. */
  public static final String WORKAROUND = "ONEDNN_MAX_CPU_ISA=AVX2";

  private static final double TOLERANCE = 1e-4;

  private static String cached;
  private static boolean done;

  private ConvGradientCheck() {}

  /**
   * Null when the engine's convolution input gradient is right here; otherwise what is wrong and
   * what to do. Runs once per JVM (~100 ms) and remembers the answer.
   */
  public static synchronized String problem() {
    if (!done) {
      cached = runCheck();
      done = true;
    }
    return cached;
  }

  private static String runCheck() {
    try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu())) {
      double worst = 0;
      for (int attempt = 0; attempt < 3; attempt++) {
        fillFreedMemoryWithNaN(manager);
        double error = relativeInputGradientError(manager, attempt);
        if (!(error <= worst)) {
          worst = error; // NaN counts as the worst
        }
        if (Double.isNaN(worst)) {
          break;
        }
      }
      if (worst <= TOLERANCE) {
        return null;
      }
      return String.format(
          "the PyTorch engine computed a wrong convolution gradient on this CPU (relative error %s"
              + " against float64): oneDNN's AVX-512 backward kernels are faulty here for channel"
              + " counts that are not multiples of 16, so training would use wrong or NaN"
              + " gradients. Start the JVM with %s in the environment (Cardinal sets it by itself"
              + " before its stages start when a network to train needs it; an ONEDNN_MAX_CPU_ISA"
              + " of your own, or a convolution run earlier in the process, prevents that).",
          Double.isNaN(worst) ? "NaN" : String.format("%.3g", worst), WORKAROUND);
    }
  }

  /** Freed blocks are handed out again by the allocator: make stale contents NaN, not zeros. */
  private static void fillFreedMemoryWithNaN(NDManager manager) {
    try (NDManager scratch = manager.newSubManager()) {
      for (int i = 1; i <= 64; i++) {
        scratch.full(new Shape(i * 4096L + 17), Float.NaN);
      }
    }
  }

  private static double relativeInputGradientError(NDManager manager, int attempt) {
    try (NDManager scratch = manager.newSubManager()) {
      Random random = new Random(1234 + attempt);
      Shape inputShape = new Shape(8, 8, 16, 16);
      NDArray x = scratch.create(gaussian(random, inputShape), inputShape);
      Shape weightShape = new Shape(8, 8, 3, 3);
      NDArray w = scratch.create(gaussian(random, weightShape), weightShape);
      NDArray upstream = scratch.create(gaussian(random, inputShape), inputShape);
      NDArray got = inputGradient(x, w, upstream);
      NDArray expected =
          inputGradient(
              x.toType(DataType.FLOAT64, false),
              w.toType(DataType.FLOAT64, false),
              upstream.toType(DataType.FLOAT64, false));
      double scale = expected.abs().max().getDouble();
      return got.toType(DataType.FLOAT64, false).sub(expected).abs().max().getDouble() / scale;
    }
  }

  private static float[] gaussian(Random random, Shape shape) {
    float[] values = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  /** d(sum(conv(x, w) * upstream)) / dx for a 3x3 convolution, stride 1, padding 1. */
  private static NDArray inputGradient(NDArray x, NDArray w, NDArray upstream) {
    NDArray input = x.duplicate();
    input.setRequiresGradient(true);
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray y =
          Conv2d.conv2d(input, w, null, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1)
              .singletonOrThrow();
      collector.backward(y.mul(upstream).sum());
    }
    return input.getGradient();
  }
}
