package dev.cardinal.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Exponential moving average of a network's weights (and BatchNorm statistics), kept in a second
 * network of the same spec so it can be saved, loaded and evaluated like the raw one.
 */
public final class WeightAverage {
  private final Block live;
  private final Block average;

  /**
   * @param average an initialized network of the same spec as {@code live}; its values are
   *     overwritten with the live ones
   */
  public WeightAverage(Block live, Block average) {
    this.live = live;
    this.average = average;
    copyFromLive();
  }

  public Block network() {
    return average;
  }

  /** Restarts the average at the live weights. */
  public void copyFromLive() {
    forEachPair(
        (source, target) -> {
          try (NDArray value = source.stopGradient()) {
            value.copyTo(target);
          }
        });
  }

  /**
   * {@code avg = decay * avg + (1 - decay) * live}, outside autograd (gradients are detached), in
   * place.
   */
  public void update(double decay) {
    float keep = (float) decay;
    float take = 1f - keep;
    forEachPair(
        (source, target) -> {
          try (NDArray detached = source.stopGradient();
              NDArray share = detached.mul(take)) {
            target.muli(keep).addi(share);
          }
        });
  }

  public void save(DataOutputStream out) throws IOException {
    average.saveParameters(out);
  }

  private interface PairAction {
    void apply(NDArray source, NDArray target);
  }

  private void forEachPair(PairAction action) {
    PairList<String, Parameter> sources = live.getParameters();
    PairList<String, Parameter> targets = average.getParameters();
    for (int i = 0; i < sources.size(); i++) {
      Pair<String, Parameter> source = sources.get(i);
      Pair<String, Parameter> target = targets.get(i);
      if (!source.getKey().equals(target.getKey())) {
        throw new IllegalStateException(
            "EMA network differs from the live one at "
                + source.getKey()
                + " / "
                + target.getKey());
      }
      action.apply(source.getValue().getArray(), target.getValue().getArray());
    }
  }

  /** Marks the average's arrays as constants: no gradients, no autograd history. */
  static void freeze(Block block) {
    for (Pair<String, Parameter> p : block.getParameters()) {
      p.getValue().getArray().setRequiresGradient(false);
    }
  }
}
