package dev.cardinal.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parameters saved to a stream and loaded into a fresh network give identical outputs. */
class SaveLoadTest {

  @ParameterizedTest(name = "{0} (width x{1}) round-trips its parameters")
  @CsvSource({"resnet20, 1.0", "resnest50d, 0.25", "resnetrs50, 0.25", "resnext50_32x4d, 0.25"})
  void reloadedNetworkGivesIdenticalOutputs(String name, double width) throws Exception {
    ResNetSpec spec = ModelPresets.get(name).withWidthMultiplier(width).withNumClasses(5);
    Shape input = new Shape(2, 3, 32, 32);
    try (NDManager manager = NDManager.newBaseManager()) {
      Block net = ResNetBuilder.build(spec);
      net.initialize(manager, DataType.FLOAT32, input);
      ParameterStore ps = new ParameterStore(manager, false);
      NDArray x = manager.randomNormal(input);
      // One training-mode pass moves the BN running statistics away from their initial values.
      net.forward(ps, new NDList(manager.randomNormal(input)), true);
      float[] expected = net.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();

      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        net.saveParameters(out);
      }
      Block fresh = ResNetBuilder.build(spec);
      fresh.initialize(manager, DataType.FLOAT32, input);
      try (DataInputStream in =
          new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
        fresh.loadParameters(manager, in);
      }
      float[] actual = fresh.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
      assertThat(actual).containsExactly(expected);
    }
  }
}
