package dev.cardinal.core.testing;

import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ImageBatchBuilder;
import dev.cardinal.core.wire.ScheduleStamp;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Learnable generated images for the tests of trainer and evaluator, like ingest's synthetic
 * dataset (which they may not depend on): each class has its own colour and stripe frequency, each
 * sample its own phase, angle and noise. Deterministic in the sample id.
 */
public final class SyntheticImages {
  private SyntheticImages() {}

  public static ImageBatch batch(long firstId, int count, int size, int classes) {
    return batch(firstId, count, size, classes, 0);
  }

  /**
   * @param labelNoise share of images whose label is redrawn at random after rendering: held-out
   *     images no model gets all right, so scores and calibration are not trivially perfect
   */
  public static ImageBatch batch(
      long firstId, int count, int size, int classes, double labelNoise) {
    byte[] pixels = new byte[count * size * size * 3];
    long[] ids = new long[count];
    int[] labels = new int[count];
    for (int n = 0; n < count; n++) {
      long id = firstId + n;
      SplittableRandom random = new SplittableRandom(0x5EED * 0x9E3779B97F4A7C15L + id);
      int label = random.nextInt(classes);
      double hue = (double) label / classes;
      double[] colour = {
        clamp(Math.abs(hue * 6 - 3) - 1),
        clamp(2 - Math.abs(hue * 6 - 2)),
        clamp(2 - Math.abs(hue * 6 - 4))
      };
      double frequency = 0.5 + 0.3 * (label % 3);
      double angle = random.nextDouble(-0.3, 0.3);
      double phase = random.nextDouble(0, 2 * Math.PI);
      int i = n * size * size * 3;
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          double wave =
              0.5 + 0.5 * Math.sin(frequency * (x * Math.cos(angle) + y * Math.sin(angle)) + phase);
          for (int c = 0; c < 3; c++) {
            double value = 255 * (0.25 + 0.6 * colour[c] * wave) + random.nextDouble(-24, 24);
            pixels[i++] = (byte) Math.max(0, Math.min(255, (int) value));
          }
        }
      }
      ids[n] = id;
      labels[n] = random.nextDouble() < labelNoise ? random.nextInt(classes) : label;
    }
    return new ImageBatch(
        "synthetic-test",
        size,
        size,
        3,
        classes,
        ids,
        labels,
        null,
        pixels,
        new ScheduleStamp(0, firstId, 1_000_000));
  }

  private static double clamp(double v) {
    return Math.max(0, Math.min(1, v));
  }

  /**
   * Random pixels with random labels, for benchmarks that measure speed rather than learning: batch
   * {@code index} of {@code count} images, its ids and stream position following the batches before
   * it in an epoch of {@code epochImages}.
   */
  public static ImageBatch noise(
      Random random, long index, int count, int side, int channels, int classes, long epochImages) {
    byte[] pixels = new byte[count * side * side * channels];
    random.nextBytes(pixels);
    long[] ids = new long[count];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      ids[i] = index * count + i;
      labels[i] = random.nextInt(classes);
    }
    return ImageBatchBuilder.builder()
        .datasetId("bench")
        .height(side)
        .width(side)
        .channels(channels)
        .classes(classes)
        .sampleIds(ids)
        .labels(labels)
        .pixels(pixels)
        .stamp(new ScheduleStamp(0, index * count, epochImages))
        .build();
  }
}
