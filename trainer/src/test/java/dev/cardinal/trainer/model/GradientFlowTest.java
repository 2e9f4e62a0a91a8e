package dev.cardinal.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Forward + backward through every family: every trainable parameter receives a gradient. */
class GradientFlowTest {

  @ParameterizedTest(name = "{0} at {1} px: finite logits and a non-zero gradient everywhere")
  @CsvSource({
    "resnet18, 32, 1.0",
    "resnet50, 64, 0.25",
    "resnet50d, 64, 0.25",
    "resnext50_32x4d, 64, 0.5",
    "wide_resnet50_2, 64, 0.25",
    "resnest50d, 64, 0.25",
    "resnest50d_4s2x40d, 64, 0.25",
    "resnest50d_1s4x24d, 64, 0.25",
    "resnetrs50, 64, 0.25",
    "resnet20, 32, 1.0",
  })
  void everyTrainableParameterGetsAGradient(String name, int resolution, double width) {
    // Zero-initialized last gammas would (correctly) block the branch gradients of step one.
    ResNetSpec spec =
        ModelPresets.get(name)
            .withZeroInitLastGamma(false)
            .withWidthMultiplier(width)
            .withNumClasses(7)
            .withDropoutRate(0.1);
    try (NDManager manager = NDManager.newBaseManager()) {
      Block net = ResNetBuilder.build(spec);
      Shape input = new Shape(2, 3, resolution, resolution);
      net.initialize(manager, DataType.FLOAT32, input);
      NDArray x = manager.randomNormal(input);
      NDArray labels = manager.create(new float[] {1, 5});
      ParameterStore ps = new ParameterStore(manager, false);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray logits = net.forward(ps, new NDList(x), true).singletonOrThrow();
        assertThat(logits.getShape()).isEqualTo(new Shape(2, 7));
        assertThat(logits.isInfinite().any().getBoolean()).isFalse();
        assertThat(logits.isNaN().any().getBoolean()).isFalse();
        NDArray loss =
            Loss.softmaxCrossEntropyLoss().evaluate(new NDList(labels), new NDList(logits));
        gc.backward(loss);
      }
      List<String> withoutGradient = new ArrayList<>();
      int trainable = 0;
      for (Pair<String, Parameter> p : net.getParameters()) {
        Parameter param = p.getValue();
        if (!param.requiresGradient()) {
          continue;
        }
        trainable++;
        NDArray grad = param.getArray().getGradient();
        if (grad.abs().sum().getFloat() == 0f || grad.isNaN().any().getBoolean()) {
          withoutGradient.add(p.getKey());
        }
      }
      assertThat(trainable).isGreaterThan(10);
      assertThat(withoutGradient).isEmpty();
    }
  }
}
