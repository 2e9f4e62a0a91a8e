package dev.cardinal.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A block of one input tensor and one output tensor, as every block of this family but the
 * convolutions is: subclasses compute on the tensor, and the unwrapping of DJL's {@link NDList} is
 * written once here.
 */
abstract class UnaryBlock extends AbstractBlock {

  @Override
  protected final NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(apply(ps, inputs.singletonOrThrow(), training, params));
  }

  /** The block's output for the input {@code x}; the arguments are those of {@code forward}. */
  abstract NDArray apply(
      ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params);
}
