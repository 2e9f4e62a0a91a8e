package dev.cardinal.trainer.model.bench;

import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import dev.cardinal.trainer.model.ModelPresets;
import dev.cardinal.trainer.model.ResNetBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Dev tool: forward+backward step times of models, alternating between them (min over steps is
 * printed), optionally with a PyTorch profiler trace. Args: steps model[,model...] [traceFile].
 * Model "djl" is DJL's ResNetV1-50.
 */
public final class ProfileMain {
  private ProfileMain() {}

  public static void main(String[] args) {
    int steps = Integer.parseInt(args[0]);
    List<String> names = Arrays.asList(args[1].split(","));
    Shape input = new Shape(32, 3, 64, 64);
    try (NDManager manager = NDManager.newBaseManager()) {
      List<Block> nets = new ArrayList<>();
      for (String name : names) {
        Block net =
            name.equals("djl")
                ? ResNetV1.builder()
                    .setImageShape(new Shape(3, 64, 64))
                    .setNumLayers(50)
                    .setOutSize(1000)
                    .build()
                : ResNetBuilder.build(ModelPresets.get(name).withNumClasses(1000));
        net.initialize(manager, DataType.FLOAT32, input);
        nets.add(net);
      }
      ParameterStore ps = new ParameterStore(manager, false);
      double[] best = new double[nets.size()];
      Arrays.fill(best, Double.MAX_VALUE);
      for (int i = 0; i < steps; i++) {
        if (i == 2 && args.length > 2) {
          JniUtils.startProfile(false, false, false);
        }
        for (int m = 0; m < nets.size(); m++) {
          long t = System.nanoTime();
          try (NDManager sub = manager.newSubManager()) {
            NDArray x = sub.randomUniform(0f, 1f, input);
            NDArray y = sub.zeros(new Shape(32));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
              NDArray logits = nets.get(m).forward(ps, new NDList(x), true).singletonOrThrow();
              gc.backward(
                  Loss.softmaxCrossEntropyLoss().evaluate(new NDList(y), new NDList(logits)));
            }
          }
          double s = (System.nanoTime() - t) / 1e9;
          if (i > 0) {
            best[m] = Math.min(best[m], s);
          }
        }
      }
      if (args.length > 2) {
        JniUtils.stopProfile(args[2]);
      }
      for (int m = 0; m < nets.size(); m++) {
        System.out.printf(
            "%-18s best %.3f s/step  %.1f img/s%n", names.get(m), best[m], 32 / best[m]);
      }
    }
  }
}
