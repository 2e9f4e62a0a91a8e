package dev.cardinal.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Squeeze-and-excitation as timm's {@code SEModule}: global average pool, 1x1 conv (with bias) to
 * {@code make_divisible(channels * ratio, 8)} channels, ReLU, 1x1 conv (with bias) back, sigmoid,
 * channel-wise scale of the input.
 */
final class SqueezeExcite extends UnaryBlock {

  private final Conv2d fc1;
  private final Conv2d fc2;

  SqueezeExcite(int channels, double ratio) {
    int reduced = ResNetBuilder.makeDivisible(channels * ratio, 8, 8, 0.0);
    fc1 = addChildBlock("fc1", ResNetBuilder.conv(reduced, 1, 1, 0, 1, true));
    fc2 = addChildBlock("fc2", ResNetBuilder.conv(channels, 1, 1, 0, 1, true));
  }

  @Override
  NDArray apply(ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params) {
    NDArray s = ResNetBuilder.spatialMean(x, true);
    s = fc1.forward(ps, new NDList(s), training, params).singletonOrThrow();
    s = Activation.relu(s);
    s = fc2.forward(ps, new NDList(s), training, params).singletonOrThrow();
    return x.mul(Activation.sigmoid(s));
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape in = inputShapes[0];
    Shape pooled = new Shape(in.get(0), in.get(1), 1, 1);
    fc1.initialize(manager, dataType, pooled);
    fc2.initialize(manager, dataType, fc1.getOutputShapes(new Shape[] {pooled}));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return inputShapes;
  }
}
