package dev.cardinal.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.function.UnaryOperator;

/**
 * A parameter-free single-input block (activation, pooling) whose output shape is computed
 * analytically. Unlike DJL's {@code LambdaBlock} it does not run the function on zero arrays to
 * infer shapes, which keeps initialization at large resolutions cheap.
 */
final class Op extends UnaryBlock {

  private final String name;
  private final UnaryOperator<NDArray> function;
  private final UnaryOperator<Shape> shape;

  Op(String name, UnaryOperator<NDArray> function, UnaryOperator<Shape> shape) {
    this.name = name;
    this.function = function;
    this.shape = shape;
  }

  static Op relu() {
    return new Op("ReLU", Activation::relu, UnaryOperator.identity());
  }

  @Override
  NDArray apply(ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params) {
    return function.apply(x);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {shape.apply(inputShapes[0])};
  }

  @Override
  public String toString() {
    return name + "()";
  }
}
