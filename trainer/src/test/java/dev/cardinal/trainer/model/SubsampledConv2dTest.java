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
import org.junit.jupiter.api.Test;

/** The subsampled 1x1 convolution is a strided one: same output, same parameter file. */
class SubsampledConv2dTest {
  @Test
  void matchesAStridedConvolutionAndReadsItsParameters() throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      // An odd size: a stride-2 1x1 kernel reads pixels 0, 2, 4, 6 of 7.
      Shape input = new Shape(2, 6, 7, 7);
      Block strided = ResNetBuilder.conv(10, 1, 2, 0, 1, false);
      strided.initialize(manager, DataType.FLOAT32, input);
      ByteArrayOutputStream saved = new ByteArrayOutputStream();
      strided.saveParameters(new DataOutputStream(saved));

      Block subsampled = SubsampledConv2d.pointwise(10, 2);
      subsampled.initialize(manager, DataType.FLOAT32, input);
      subsampled.loadParameters(
          manager, new DataInputStream(new ByteArrayInputStream(saved.toByteArray())));

      NDArray x = manager.randomNormal(input);
      ParameterStore store = new ParameterStore(manager, false);
      NDArray expected = strided.forward(store, new NDList(x), false).singletonOrThrow();
      NDArray actual = subsampled.forward(store, new NDList(x), false).singletonOrThrow();
      assertThat(actual.getShape()).isEqualTo(new Shape(2, 10, 4, 4));
      assertThat(subsampled.getOutputShapes(new Shape[] {input})[0]).isEqualTo(actual.getShape());
      assertThat(actual.allClose(expected, 1e-5, 1e-6, false)).isTrue();
    }
  }
}
