package dev.cardinal.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.cardinal.core.testing.SyntheticImages;
import dev.cardinal.core.wire.ImageBatch;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A sweep point's train resolution: batches of another size are resized on the device. */
class InputTensorsTest {

  @Test
  void aBatchIsResizedBilinearlyToTheTrainResolution() {
    ImageBatch batch = SyntheticImages.batch(0, 4, 32, 10);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray native32 = InputTensors.images(manager, batch, 0);
      NDArray same = InputTensors.images(manager, batch, 32);
      NDArray down = InputTensors.images(manager, batch, 24);
      NDArray up = InputTensors.images(manager, batch, 40);
      assertThat(native32.getShape()).isEqualTo(new Shape(4, 3, 32, 32));
      assertThat(same.getShape()).isEqualTo(native32.getShape());
      assertThat(same.contentEquals(native32)).isTrue();
      assertThat(down.getShape()).isEqualTo(new Shape(4, 3, 24, 24));
      assertThat(up.getShape()).isEqualTo(new Shape(4, 3, 40, 40));
      // Bilinear interpolation keeps values within the image's range and its mean nearly so.
      float[] before = native32.toFloatArray();
      float[] after = down.toFloatArray();
      double min = Arrays.stream(box(before)).min().orElseThrow();
      double max = Arrays.stream(box(before)).max().orElseThrow();
      assertThat(Arrays.stream(box(after)).allMatch(v -> v >= min - 1e-4 && v <= max + 1e-4))
          .isTrue();
      assertThat(down.mean().getFloat()).isCloseTo(native32.mean().getFloat(), within(0.1f));
    }
  }

  private static double[] box(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  private static org.assertj.core.data.Offset<Float> within(float offset) {
    return org.assertj.core.data.Offset.offset(offset);
  }
}
