package dev.cardinal.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SGD with momentum (optionally Nesterov) that owns its state, so a checkpoint captures and a
 * resume restores it exactly. Weight decay applies to convolution and dense weights only, never to
 * BatchNorm parameters or biases (as the Revisiting-ResNets recipe and timm do).
 *
 * <p>The trainer sets the learning rate before each step; the optimizer holds no schedule.
 *
 * <p>Scalar {@code Number} ops are safe here: updates run outside gradient recording, so no graph
 * keeps the temporary scalars alive past the op.
 */
public final class MomentumSgd extends Optimizer {
  private final float momentum;
  private final boolean nesterov;
  private final float weightDecay;
  private final Map<String, NDArray> velocity = new ConcurrentHashMap<>();
  private final Map<String, String> nameById = new HashMap<>();
  private Set<String> decayedIds = Set.of();
  private volatile float learningRate;

  public MomentumSgd(float momentum, float weightDecay) {
    this(momentum, false, weightDecay);
  }

  /**
   * @param nesterov use Nesterov momentum (PyTorch's formulation: step along {@code g + m * buf})
   */
  public MomentumSgd(float momentum, boolean nesterov, float weightDecay) {
    super(noDjlDecay());
    this.momentum = momentum;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
  }

  private static OptimizerBuilder<?> noDjlDecay() {
    return new OptimizerBuilder<>() {
      @Override
      protected OptimizerBuilder<?> self() {
        return this;
      }
    }.optWeightDecays(0f);
  }

  /** Learns which parameters are decayed and their stable names (ids change between runs). */
  public void bind(Block block) {
    Set<String> decayed = new java.util.HashSet<>();
    for (Pair<String, Parameter> p : block.getParameters()) {
      Parameter parameter = p.getValue();
      nameById.put(parameter.getId(), p.getKey());
      if (parameter.getType() == Parameter.Type.WEIGHT) {
        decayed.add(parameter.getId());
      }
    }
    decayedIds = Set.copyOf(decayed);
  }

  public void setLearningRate(float learningRate) {
    this.learningRate = learningRate;
  }

  public float learningRate() {
    return learningRate;
  }

  @Override
  public void update(String parameterId, NDArray weight, NDArray grad) {
    NDArray state =
        velocity.computeIfAbsent(
            parameterId,
            id -> {
              NDArray zeros = weight.zerosLike();
              zeros.detach();
              return zeros;
            });
    float decay = decayedIds.contains(parameterId) ? weightDecay : 0f;
    if (nesterov) {
      nesterovUpdate(weight, grad, state, decay);
      return;
    }
    // The engine's fused update runs without autograd: in-place arithmetic on a parameter that
    // requires grad is refused by PyTorch. buf = momentum * buf + grad + decay * w; w -= lr * buf.
    weight
        .getNDArrayInternal()
        .sgdUpdate(
            new NDList(weight, grad, state),
            new NDList(weight),
            learningRate,
            decay,
            1f,
            -1f, // no gradient clipping
            momentum,
            false);
  }

  /**
   * g' = grad + decay * w; buf = m * buf + g'; w -= lr * (g' + m * buf). The weight is changed
   * through a detached alias of its storage, which autograd allows. Every temporary, the scalars
   * included, lives in a sub-manager closed after the update; the scalars are engine arrays ({@code
   * full}), not {@code Number} operands, whose Java-side buffers are freed while the engine may
   * still read them (FACTS.md).
   */
  private void nesterovUpdate(NDArray weight, NDArray grad, NDArray state, float decay) {
    try (NDManager temp = weight.getManager().newSubManager()) {
      NDArray m = temp.full(new Shape(), momentum);
      NDArray lr = temp.full(new Shape(), learningRate);
      NDArray w = weight.stopGradient();
      w.attach(temp);
      NDArray g = grad.add(w.mul(temp.full(new Shape(), decay)));
      g.attach(temp);
      state.muli(m).addi(g);
      NDArray direction = state.mul(m);
      direction.attach(temp);
      direction.addi(g).muli(lr);
      w.subi(direction);
    }
    // PyTorch accumulates gradients, and DJL's fused update (the path above) zeroes them after it
    // applies them; an update of our own must too, or each step adds every earlier gradient
    // again (Nesterov runs diverged within a hundred steps that way).
    if (weight instanceof PtNDArray engineArray) {
      JniUtils.zeroGrad(engineArray);
    } else {
      grad.subi(grad);
    }
  }

  /** Writes the momentum buffers keyed by parameter name. */
  public void save(DataOutputStream out) throws IOException {
    out.writeInt(1); // format version
    out.writeInt(velocity.size());
    for (Map.Entry<String, NDArray> e : velocity.entrySet()) {
      out.writeUTF(nameById.getOrDefault(e.getKey(), e.getKey()));
      byte[] bytes = e.getValue().encode();
      out.writeInt(bytes.length);
      out.write(bytes);
    }
  }

  /** Restores buffers written by {@link #save}; call after {@link #bind} on the new network. */
  public void load(NDManager manager, DataInputStream in) throws IOException {
    int version = in.readInt();
    if (version != 1) {
      throw new IOException("optimizer state version " + version + " is not supported");
    }
    Map<String, String> idByName = new HashMap<>();
    nameById.forEach((id, name) -> idByName.put(name, id));
    int count = in.readInt();
    for (int i = 0; i < count; i++) {
      String name = in.readUTF();
      byte[] bytes = new byte[in.readInt()];
      in.readFully(bytes);
      String id = idByName.get(name);
      if (id == null) {
        throw new IOException("optimizer state names parameter " + name + " the network lacks");
      }
      NDArray v = NDArray.decode(manager, bytes);
      v.detach();
      velocity.put(id, v);
    }
  }
}
