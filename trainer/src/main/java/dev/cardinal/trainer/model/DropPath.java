package dev.cardinal.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Stochastic depth (timm {@code DropPath}): in training, each sample's residual branch is zeroed
 * with probability {@code rate} and the kept ones are scaled by {@code 1 / (1 - rate)}; at
 * inference (and at rate 0) the block returns its input unchanged.
 *
 * <p>The per-sample mask is built with array ops only (no {@code NDArray.mul(Number)}-style scalar
 * ops, whose scalar buffer is freed before the backward pass reads it).
 */
public final class DropPath extends UnaryBlock {

  /** Volatile: a schedule may change it between steps, from the training thread. */
  private volatile float rate;

  /** Drops whole samples (stochastic depth); false drops single activations (dropout). */
  private final boolean perSample;

  /**
   * @param rate probability of dropping a sample's branch, in [0, 1)
   */
  public DropPath(double rate) {
    this(rate, true);
  }

  private DropPath(double rate, boolean perSample) {
    if (!(rate >= 0 && rate < 1)) {
      throw new IllegalArgumentException("drop rate must be in [0, 1): " + rate);
    }
    this.rate = (float) rate;
    this.perSample = perSample;
  }

  /**
   * Plain dropout with the same inverted scaling and a rate a schedule can change, unlike DJL's
   * {@code Dropout} whose rate is fixed at build time.
   */
  public static DropPath dropout(double rate) {
    return new DropPath(rate, false);
  }

  /** True for stochastic depth, false for element-wise dropout. */
  public boolean perSample() {
    return perSample;
  }

  /** The drop probability. */
  public double rate() {
    return rate;
  }

  /** Changes the drop probability for the following forward passes (schedules). */
  public void setRate(double newRate) {
    if (!(newRate >= 0 && newRate < 1)) {
      throw new IllegalArgumentException("drop-path rate must be in [0, 1): " + newRate);
    }
    this.rate = (float) newRate;
  }

  @Override
  NDArray apply(ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params) {
    float rate = this.rate;
    if (!training || rate == 0f) {
      return x;
    }
    NDManager manager = x.getManager();
    float keep = 1f - rate;
    // A copy: Shape.getShape() hands out the shape's own array.
    long[] maskShape = x.getShape().getShape().clone();
    if (perSample) {
      java.util.Arrays.fill(maskShape, 1);
      maskShape[0] = x.getShape().get(0);
    }
    NDArray uniform = manager.randomUniform(0f, 1f, new Shape(maskShape), x.getDataType());
    NDArray keepArray = manager.full(new Shape(), keep, x.getDataType());
    NDArray mask = uniform.lt(keepArray).toType(x.getDataType(), false).div(keepArray);
    return x.mul(mask);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return inputShapes;
  }

  @Override
  public String toString() {
    return (perSample ? "DropPath(" : "Dropout(") + rate + ")";
  }
}
