package dev.cardinal.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * ResNeSt split-attention convolution as timm's {@code SplitAttn}: a grouped 3x3 convolution
 * producing {@code radix} splits per cardinal group (BN, ReLU), attention from the global average
 * of the summed splits through 1x1 conv (bias) → BN → ReLU → 1x1 conv (bias), a softmax across the
 * radix (sigmoid when radix is 1), and the attention-weighted sum of the splits.
 *
 * <p>Attention channels: {@code make_divisible(in * radix * 0.25, 8, min 32)}. Channel layout of
 * the splits is radix-major, as in timm.
 */
final class SplitAttention extends AbstractBlock {

  private final int radix;
  private final int cardinality;
  private final int channels;
  private final Conv2d conv;
  private final BatchNorm bn0;
  private final Conv2d fc1;
  private final BatchNorm bn1;
  private final Conv2d fc2;

  SplitAttention(int inChannels, int channels, int stride, int cardinality, int radix) {
    this.radix = radix;
    this.cardinality = cardinality;
    this.channels = channels;
    int attn = ResNetBuilder.makeDivisible(inChannels * radix * 0.25, 8, 32, 0.9);
    if (attn % cardinality != 0) {
      attn = (attn + cardinality - 1) / cardinality * cardinality;
    }
    conv =
        addChildBlock(
            "conv", ResNetBuilder.conv(channels * radix, 3, stride, 1, cardinality * radix, false));
    bn0 = addChildBlock("bn0", ResNetBuilder.batchNorm());
    fc1 = addChildBlock("fc1", ResNetBuilder.conv(attn, 1, 1, 0, cardinality, true));
    bn1 = addChildBlock("bn1", ResNetBuilder.batchNorm());
    fc2 = addChildBlock("fc2", ResNetBuilder.conv(channels * radix, 1, 1, 0, cardinality, true));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDList x = conv.forward(ps, inputs, training, params);
    x = bn0.forward(ps, x, training, params);
    NDArray splits = Activation.relu(x.singletonOrThrow());
    Shape shape = splits.getShape();
    long batch = shape.get(0);
    long height = shape.get(2);
    long width = shape.get(3);
    // Global average of the sum of the splits: mean over space first (cheaper), then sum.
    NDArray gap = ResNetBuilder.spatialMean(splits, false);
    if (radix > 1) {
      gap = gap.reshape(batch, radix, channels).sum(new int[] {1});
    }
    gap = gap.reshape(batch, channels, 1, 1);
    NDList a = fc1.forward(ps, new NDList(gap), training, params);
    a = bn1.forward(ps, a, training, params);
    NDArray attn =
        fc2.forward(ps, new NDList(Activation.relu(a.singletonOrThrow())), training, params)
            .singletonOrThrow();
    NDArray out;
    if (radix > 1) {
      // (B, card, radix, C/card) -> softmax across radix -> radix-major (B, radix, C).
      attn =
          attn.reshape(batch, cardinality, radix, channels / cardinality)
              .transpose(0, 2, 1, 3)
              .softmax(1)
              .reshape(batch, radix, channels, 1, 1);
      out = splits.reshape(batch, radix, channels, height, width).mul(attn).sum(new int[] {1});
    } else {
      out = splits.mul(Activation.sigmoid(attn));
    }
    return new NDList(out);
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    conv.initialize(manager, dataType, inputShapes);
    Shape convOut = conv.getOutputShapes(inputShapes)[0];
    bn0.initialize(manager, dataType, convOut);
    Shape pooled = new Shape(convOut.get(0), channels, 1, 1);
    fc1.initialize(manager, dataType, pooled);
    Shape fc1Out = fc1.getOutputShapes(new Shape[] {pooled})[0];
    bn1.initialize(manager, dataType, fc1Out);
    fc2.initialize(manager, dataType, fc1Out);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape convOut = conv.getOutputShapes(inputShapes)[0];
    return new Shape[] {new Shape(convOut.get(0), channels, convOut.get(2), convOut.get(3))};
  }
}
