package dev.cardinal.evaluator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.cardinal.core.testing.SyntheticImages;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import dev.cardinal.trainer.model.InputTensors;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EvalTransformTest {

  private static double largestDifference(float[] got, float[] want) {
    assertThat(got).hasSameSizeAs(want);
    double max = 0;
    for (int i = 0; i < want.length; i++) {
      max = Math.max(max, Math.abs(got[i] - want[i]));
    }
    return max;
  }

  /** The batch as the evaluator holds it: gathered into its eval images and normalized once. */
  private static NDArray normalized(NDManager manager, ImageBatch batch) {
    EvalImages images = new EvalImages(8);
    images.add(batch);
    return new EvalTransform(manager).normalized(manager, images.batches().get(0));
  }

  @Test
  void cropAndResizeMatchPlainJavaDownAndUp() {
    ImageBatch batch = SyntheticImages.batch(0, 3, 24, 4);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray normalized = normalized(manager, batch);
      // 0.875 of 24 is a 21 px crop: 16 and 20 downsample (antialiased), 24 and 32 upsample.
      for (int resolution : new int[] {16, 20, 24, 32}) {
        float[] got = EvalTransform.at(normalized, resolution, 0.875).toFloatArray();
        assertThat(largestDifference(got, PlainJavaTransform.chw(batch, resolution, 0.875)))
            .as("largest difference at %d px", resolution)
            .isLessThan(1e-4);
      }
    }
  }

  @Test
  void fullFrameAtTheNativeSizeIsTheTrainersInput() {
    ImageBatch batch = SyntheticImages.batch(100, 5, 16, 4);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray normalized = normalized(manager, batch);
      float[] got = EvalTransform.at(normalized, 16, 1.0).toFloatArray();
      float[] want = InputTensors.images(manager, batch).toFloatArray();
      assertThat(largestDifference(got, want)).isLessThan(1e-5);
    }
  }

  @Test
  void greyAndNonSquareImages() {
    int h = 20;
    int w = 30;
    byte[] grey = new byte[2 * h * w];
    new Random(3).nextBytes(grey);
    byte[] rgb = new byte[2 * h * w * 3];
    for (int i = 0; i < grey.length; i++) {
      for (int c = 0; c < 3; c++) {
        rgb[i * 3 + c] = grey[i];
      }
    }
    ScheduleStamp stamp = new ScheduleStamp(0, 0, 2);
    ImageBatch greyBatch =
        new ImageBatch("g", h, w, 1, 2, new long[] {0, 1}, new int[] {0, 1}, null, grey, stamp);
    ImageBatch rgbBatch =
        new ImageBatch("g", h, w, 3, 2, new long[] {0, 1}, new int[] {0, 1}, null, rgb, stamp);
    EvalImages images = new EvalImages(4);
    images.add(greyBatch);
    assertThat(images.nativeResolution()).isEqualTo(20);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray normalized = new EvalTransform(manager).normalized(manager, images.batches().get(0));
      // A centred 18 px square (0.875 of the shorter side) of the 20x30 image, to 12 px.
      float[] got = EvalTransform.at(normalized, 12, 0.875).toFloatArray();
      assertThat(largestDifference(got, PlainJavaTransform.chw(rgbBatch, 12, 0.875)))
          .isLessThan(1e-4);
    }
  }

  @Test
  void imagesAreReBatchedToTheInferenceBatchSizeByShape() {
    EvalImages images = new EvalImages(4);
    images.add(SyntheticImages.batch(0, 3, 16, 4));
    images.add(SyntheticImages.batch(3, 3, 16, 4));
    images.add(SyntheticImages.batch(6, 2, 24, 4));
    images.add(SyntheticImages.batch(8, 3, 16, 4));
    assertThat(images.images()).isEqualTo(11);
    assertThat(images.batches()).extracting(EvalImages.Batch::size).containsExactly(4, 4, 1, 2);
    ImageBatch second = SyntheticImages.batch(3, 3, 16, 4);
    EvalImages.Batch first = images.batches().get(0);
    // The fourth image of the first inference batch is the first of the second topic batch.
    byte[] expected = java.util.Arrays.copyOfRange(second.pixels(), 0, second.imageBytes());
    byte[] actual =
        java.util.Arrays.copyOfRange(
            first.pixels(), 3 * second.imageBytes(), 4 * second.imageBytes());
    assertThat(actual).isEqualTo(expected);
    assertThat(first.labels()[3]).isEqualTo(second.labels()[0]);
  }
}
