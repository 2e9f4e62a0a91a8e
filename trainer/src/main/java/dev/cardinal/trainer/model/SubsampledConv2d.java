package dev.cardinal.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A 1x1 convolution with stride s, computed as taking every s-th pixel and then a 1x1 convolution
 * with stride 1: the same parameters and the same output (a 1x1 kernel at stride s reads exactly
 * those pixels), by another route through the engine.
 *
 * <p>Why: on CPUs that report no cache sizes to the guest (seen on AMD EPYC virtual machines),
 * oneDNN 3.7 in libtorch 2.7.1 divides by zero while planning the backward pass of a strided 1x1
 * convolution ({@code brgemm_convolution_bwd_utils::brg_blocking_t::est_eff_1x1}), and the JVM dies
 * with SIGFPE; capping oneDNN's ISA at AVX2 does not avoid it, and SSE4.1 halves training speed.
 * The projection shortcuts of ResNet-B blocks are the only strided 1x1 convolutions in the family.
 * Parameter files are the same as {@link Conv2d}'s, so checkpoints written either way load.
 */
final class SubsampledConv2d extends Conv2d {
  private final int step;
  private final String index;

  private SubsampledConv2d(Conv2d.Builder stride1, int step) {
    super(stride1);
    this.step = step;
    this.index = ":, :, ::" + step + ", ::" + step;
  }

  /** A 1x1 convolution with {@code filters} outputs at stride {@code step}, without bias. */
  static SubsampledConv2d pointwise(int filters, int step) {
    return new SubsampledConv2d(
        Conv2d.builder()
            .setKernelShape(new Shape(1, 1))
            .setFilters(filters)
            .optStride(new Shape(1, 1))
            .optPadding(new Shape(0, 0))
            .optBias(false),
        step);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray subsampled = inputs.singletonOrThrow().get(index);
    return super.forwardInternal(ps, new NDList(subsampled), training, params);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    Shape subsampled =
        new Shape(
            in.get(0), in.get(1), (in.get(2) + step - 1) / step, (in.get(3) + step - 1) / step);
    return super.getOutputShapes(new Shape[] {subsampled});
  }
}
