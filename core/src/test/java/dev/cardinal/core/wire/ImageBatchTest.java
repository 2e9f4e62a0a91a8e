package dev.cardinal.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImageBatchTest {

  static ImageBatch batch(Random random, String datasetId, int count, int side, int channels) {
    int classes = 10;
    long[] ids = new long[count];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      ids[i] = random.nextLong() & Long.MAX_VALUE;
      labels[i] = random.nextInt(classes);
    }
    byte[] pixels = new byte[count * side * side * channels];
    random.nextBytes(pixels);
    return new ImageBatch(
        datasetId,
        side,
        side,
        channels,
        classes,
        ids,
        labels,
        null,
        pixels,
        new ScheduleStamp(3, 1280, 60_000));
  }

  @Test
  void hardLabelGreyBatchRoundTrips() {
    ImageBatch batch = batch(new Random(1), "fashion-mnist", 16, 28, 1);
    ImageBatch decoded = ImageBatch.decode(batch.encode());
    assertThat(decoded).isEqualTo(batch);
    assertThat(decoded.softLabels()).isNull();
    assertThat(decoded.stamp().progressEpochs()).isEqualTo(3 + 1280 / 60_000.0);
  }

  @Test
  void softLabelRgbBatchRoundTripsWithAllPixelValues() {
    Random random = new Random(2);
    ImageBatch hard = batch(random, "cifar-10/train", 8, 32, 3);
    float[] soft = new float[8 * 10];
    for (int i = 0; i < soft.length; i++) {
      soft[i] = random.nextFloat();
    }
    // Every byte value, so a signed/unsigned slip would show.
    byte[] pixels = hard.pixels().clone();
    for (int i = 0; i < 256; i++) {
      pixels[i] = (byte) i;
    }
    ImageBatch batch = hard.withSoftLabels(soft).withPixels(32, 32, 3, pixels);

    ImageBatch decoded = ImageBatch.decode(batch.encode());

    assertThat(decoded).isEqualTo(batch);
    assertThat(decoded.softLabels()).containsExactly(soft);
    assertThat(decoded.pixels()[200] & 0xFF).isEqualTo(200);
    assertThat(decoded.imageBytes()).isEqualTo(32 * 32 * 3);
  }

  @Test
  void emptyDatasetIdAndEmptyBatchRoundTrip() {
    ImageBatch batch = batch(new Random(3), "", 1, 5, 3);
    assertThat(ImageBatch.decode(batch.encode())).isEqualTo(batch);
    ImageBatch empty = batch(new Random(4), "", 0, 5, 1);
    assertThat(ImageBatch.decode(empty.encode())).isEqualTo(empty);
  }

  @Test
  void nonAsciiDatasetIdRoundTrips() {
    ImageBatch batch = batch(new Random(5), "données/日本", 2, 4, 1);
    assertThat(ImageBatch.decode(batch.encode()).datasetId()).isEqualTo("données/日本");
  }

  @Test
  void everyTruncationIsAWireFormatException() {
    Random random = new Random(6);
    float[] soft = new float[3 * 10];
    ImageBatch batch = batch(random, "ds", 3, 4, 3).withSoftLabels(soft);
    byte[] bytes = batch.encode();
    for (int length = 0; length < bytes.length; length++) {
      byte[] truncated = Arrays.copyOf(bytes, length);
      assertThatThrownBy(() -> ImageBatch.decode(truncated))
          .as("truncated to %d of %d bytes", length, bytes.length)
          .isExactlyInstanceOf(WireFormatException.class)
          .hasMessageContaining("image batch");
    }
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
    assertThatThrownBy(() -> ImageBatch.decode(longer))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("header promises");
  }

  @Test
  void garbageIsAWireFormatExceptionNamingWhatWasWrong() {
    assertThatThrownBy(() -> ImageBatch.decode(null))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("null");
    assertThatThrownBy(() -> ImageBatch.decode("{\"not\":\"a batch\"}".repeat(8).getBytes()))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("magic");

    byte[] bytes = batch(new Random(7), "ds", 2, 4, 1).encode();
    byte[] newerVersion = bytes.clone();
    ByteBuffer.wrap(newerVersion).putShort(4, (short) 2);
    assertThatThrownBy(() -> ImageBatch.decode(newerVersion))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("version 2");

    byte[] badChannels = bytes.clone();
    ByteBuffer.wrap(badChannels).putInt(20, 4);
    assertThatThrownBy(() -> ImageBatch.decode(badChannels))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("channels=4");

    byte[] badLabel = bytes.clone();
    // The first label sits after the header, the 2-byte dataset id and two sample ids.
    ByteBuffer.wrap(badLabel).putInt(4 + 2 + 2 + 5 * 4 + 4 + 8 + 8 + 2 + 2 + 16, 99);
    assertThatThrownBy(() -> ImageBatch.decode(badLabel))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("label 99");
  }

  @Test
  void randomCorruptionNeverEscapesAsAnotherException() {
    Random random = new Random(8);
    byte[] valid = batch(random, "ds", 3, 6, 3).withSoftLabels(new float[30]).encode();
    for (int trial = 0; trial < 20_000; trial++) {
      byte[] bytes = valid.clone();
      int flips = 1 + random.nextInt(4);
      for (int f = 0; f < flips; f++) {
        // Mostly the header, where sizes live.
        int at = random.nextInt(4) == 0 ? random.nextInt(bytes.length) : random.nextInt(60);
        bytes[at] = (byte) random.nextInt(256);
      }
      Throwable thrown = catchThrowable(() -> ImageBatch.decode(bytes));
      if (thrown != null) {
        assertThat(thrown).as("trial %d", trial).isExactlyInstanceOf(WireFormatException.class);
      }
    }
    for (int trial = 0; trial < 2_000; trial++) {
      byte[] garbage = new byte[random.nextInt(200)];
      random.nextBytes(garbage);
      if (random.nextBoolean() && garbage.length >= 8) {
        ByteBuffer.wrap(garbage).putInt(0, ImageBatch.MAGIC).putShort(4, ImageBatch.VERSION);
      }
      Throwable thrown = catchThrowable(() -> ImageBatch.decode(garbage));
      assertThat(thrown)
          .as("garbage trial %d", trial)
          .isExactlyInstanceOf(WireFormatException.class);
    }
  }

  @Test
  void invalidBatchesAreRefusedAtConstruction() {
    assertThatThrownBy(
            () ->
                new ImageBatch(
                    "d",
                    2,
                    2,
                    2,
                    10,
                    new long[1],
                    new int[1],
                    null,
                    new byte[8],
                    new ScheduleStamp(0, 0, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("channels");
    assertThatThrownBy(
            () ->
                new ImageBatch(
                    "d",
                    2,
                    2,
                    1,
                    10,
                    new long[1],
                    new int[1],
                    null,
                    new byte[3],
                    new ScheduleStamp(0, 0, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pixel bytes");
  }
}
