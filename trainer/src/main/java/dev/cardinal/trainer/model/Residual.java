package dev.cardinal.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** {@code relu(branch(x) + shortcut(x))}; the shortcut is the identity when it is null. */
final class Residual extends UnaryBlock {

  private final Block branch;
  private final Block shortcut;

  Residual(Block branch, Block shortcut) {
    this.branch = addChildBlock("branch", branch);
    this.shortcut = shortcut == null ? null : addChildBlock("shortcut", shortcut);
  }

  Block branch() {
    return branch;
  }

  @Override
  NDArray apply(ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params) {
    NDList inputs = new NDList(x);
    NDArray out = branch.forward(ps, inputs, training, params).singletonOrThrow();
    NDArray identity =
        shortcut == null ? x : shortcut.forward(ps, inputs, training, params).singletonOrThrow();
    // In place on the branch output, as torchvision's `out += identity`: no backward function of
    // the branch's last op (BN, SE/drop-path multiply) reads its own output.
    return Activation.relu(out.addi(identity));
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    branch.initialize(manager, dataType, inputShapes);
    if (shortcut != null) {
      shortcut.initialize(manager, dataType, inputShapes);
    }
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return branch.getOutputShapes(inputShapes);
  }
}
