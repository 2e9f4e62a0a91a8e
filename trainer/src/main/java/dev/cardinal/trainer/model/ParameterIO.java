package dev.cardinal.trainer.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Loads a network's parameters from a stream written by {@code Block.saveParameters}. */
public final class ParameterIO {
  private ParameterIO() {}

  /**
   * Loads parameters into an initialized block.
   *
   * @param forTraining re-attach gradients: DJL's {@code Parameter.load} replaces each array with
   *     one that has none, so training after a resume would otherwise fail at the first step
   */
  public static void load(Block block, NDManager manager, InputStream in, boolean forTraining)
      throws IOException, MalformedModelException {
    block.loadParameters(manager, new DataInputStream(in));
    if (forTraining) {
      for (Pair<String, Parameter> p : block.getParameters()) {
        Parameter parameter = p.getValue();
        if (parameter.requiresGradient()) {
          parameter.getArray().setRequiresGradient(true);
        }
      }
    }
  }
}
