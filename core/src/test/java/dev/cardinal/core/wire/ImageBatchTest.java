package dev.cardinal.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
    assertThatThrownBy(() -> oneImageOf2x2(2, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("channels");
    assertThatThrownBy(() -> oneImageOf2x2(1, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pixel bytes");
  }

  private static ImageBatch oneImageOf2x2(int channels, int pixelBytes) {
    return new ImageBatch(
        "d",
        2,
        2,
        channels,
        10,
        new long[1],
        new int[1],
        null,
        new byte[pixelBytes],
        new ScheduleStamp(0, 0, 0));
  }

  /**
   * A record with a valid magic and version and the given header fields, followed by {@code body}
   * bytes (the dataset id, which is "ds" when the length allows, then whatever the body holds).
   */
  private static byte[] crafted(
      int count,
      int height,
      int width,
      int channels,
      int classes,
      short flags,
      int epoch,
      long sampleOffset,
      long epochSize,
      short datasetLength,
      int body) {
    ByteBuffer out = ByteBuffer.allocate(4 + 2 + 2 + 5 * 4 + 4 + 8 + 8 + 2 + body);
    out.putInt(ImageBatch.MAGIC).putShort(ImageBatch.VERSION).putShort(flags);
    out.putInt(count).putInt(height).putInt(width).putInt(channels).putInt(classes);
    out.putInt(epoch).putLong(sampleOffset).putLong(epochSize).putShort(datasetLength);
    return out.array();
  }

  /** A hard-label header whose body holds exactly what it promises (ids, labels, pixels). */
  private static byte[] consistent(int count, int side, int classes) {
    int body = 2 + 12 * count + count * side * side;
    return crafted(count, side, side, 1, classes, (short) 0, 0, 0, 0, (short) 2, body);
  }

  @Test
  void classCountOfTwoToThe31MinusOneIsRefusedEvenWithAConsistentBody() {
    // The record of the incident: valid magic, version, sizes and body, classes = 2^31 - 1.
    byte[] bytes = consistent(4, 8, Integer.MAX_VALUE);
    assertThatThrownBy(() -> ImageBatch.decode(bytes))
        .isExactlyInstanceOf(WireFormatException.class)
        .hasMessageContaining("classes=" + Integer.MAX_VALUE)
        .hasMessageContaining("1.." + ImageBatch.MAX_CLASSES);
    // The same record with a sane class count decodes: only the field was wrong.
    assertThat(ImageBatch.decode(consistent(4, 8, 10)).size()).isEqualTo(4);
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      textBlock =
          """
          count,             -1,                   is outside the limits 0..65536
          count,             2147483647,           is outside the limits 0..65536
          height,            0,                    is outside the limits 1..16384
          height,            1000000,              is outside the limits 1..16384
          width,             -5,                   is outside the limits 1..16384
          width,             2147483647,           is outside the limits 1..16384
          channels,          -3,                   is not 1 (grey) or 3 (RGB)
          classes,           0,                    is outside the limits 1..100000
          classes,           100001,               is outside the limits 1..100000
          epoch,             -1,                   is outside the limits 0..1073741824
          epoch,             2147483647,           is outside the limits 0..1073741824
          sampleOffset,      -1,                   is outside the limits 0..1099511627776
          sampleOffset,      9223372036854775807,  is outside the limits 0..1099511627776
          epochSize,         -9223372036854775808, is outside the limits 0..4294967296
          epochSize,         9223372036854775807,  is outside the limits 0..4294967296
          dataset id length, -1,                   is outside the limits 0..1024
          dataset id length, 1025,                 is outside the limits 0..1024
          """)
  void everyHeaderFieldOutsideItsLimitIsRefusedNamingFieldAndLimit(
      String field, long value, String limit) {
    assertThatThrownBy(() -> ImageBatch.decode(headerWith(field, value)))
        .isExactlyInstanceOf(WireFormatException.class)
        .hasMessageContaining(
            "image batch header is corrupt: " + field + "=" + value + " " + limit);
  }

  @Test
  void unknownFlagsAreRefused() {
    byte[] bytes = crafted(1, 8, 8, 1, 10, (short) 2, 0, 0, 0, (short) 2, 64);
    assertThatThrownBy(() -> ImageBatch.decode(bytes))
        .isExactlyInstanceOf(WireFormatException.class)
        .hasMessageContaining("image batch header is corrupt: unknown flags 0x0002");
  }

  /**
   * The header of one grey 8x8 image of 10 classes, dataset "ds", with one field set to {@code
   * value}; the body is long enough for any dataset id it may promise.
   */
  private static byte[] headerWith(String field, long value) {
    int count = 1;
    int height = 8;
    int width = 8;
    int channels = 1;
    int classes = 10;
    int epoch = 0;
    long sampleOffset = 0;
    long epochSize = 0;
    short datasetLength = 2;
    switch (field) {
      case "count" -> count = (int) value;
      case "height" -> height = (int) value;
      case "width" -> width = (int) value;
      case "channels" -> channels = (int) value;
      case "classes" -> classes = (int) value;
      case "epoch" -> epoch = (int) value;
      case "sampleOffset" -> sampleOffset = value;
      case "epochSize" -> epochSize = value;
      case "dataset id length" -> datasetLength = (short) value;
      default -> throw new IllegalArgumentException("no header field " + field);
    }
    return crafted(
        count,
        height,
        width,
        channels,
        classes,
        (short) 0,
        epoch,
        sampleOffset,
        epochSize,
        datasetLength,
        2000);
  }

  @Test
  void headersPromisingMoreThanTheRecordHoldsAreRefusedBeforeAllocating() {
    // Each of these would allocate gigabytes if the arrays were sized from the header first; the
    // records are a few bytes long, so the length check against the record must come first.
    short soft = 1;
    List<byte[]> liars =
        List.of(
            // Largest batch of largest images: 65536 x 16384 x 16384 x 3 bytes of pixels.
            crafted(ImageBatch.MAX_COUNT, 16_384, 16_384, 3, 10, (short) 0, 0, 0, 0, (short) 2, 64),
            // Soft labels: count x classes = 6.5e9 floats, beyond an int array's size.
            crafted(
                ImageBatch.MAX_COUNT,
                1,
                1,
                1,
                ImageBatch.MAX_CLASSES,
                soft,
                0,
                0,
                0,
                (short) 2,
                64),
            // A body one byte short of a small batch: truncated.
            Arrays.copyOf(consistent(4, 8, 10), consistent(4, 8, 10).length - 1));
    for (byte[] bytes : liars) {
      assertThatThrownBy(() -> ImageBatch.decode(bytes))
          .isExactlyInstanceOf(WireFormatException.class)
          .hasMessageContaining("header promises");
    }
    assertThat(catchThrowable(() -> ImageBatch.decode(liars.get(1))))
        .hasMessageContaining(
            "bytes, header promises " + (2 + 12L * 65_536 + 4L * 65_536 * 100_000 + 65_536));
  }

  @Test
  void softLabelCountIsCheckedWithoutIntOverflow() {
    // 65536 x 65536 is 2^32, which an int product wraps to 0: zero soft labels passed as "all".
    int count = 65_536;
    assertThatThrownBy(
            () ->
                new ImageBatch(
                    "d",
                    1,
                    1,
                    1,
                    65_536,
                    new long[count],
                    new int[count],
                    new float[0],
                    new byte[count],
                    new ScheduleStamp(0, 0, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 soft labels for 65536 samples x 65536 classes");
  }

  @Test
  void batchesOverTheLimitsCannotBeBuiltOrEncoded() {
    assertThatThrownBy(() -> batch(new Random(9), "x".repeat(1025), 1, 2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("datasetId longer than 1024");
    assertThatThrownBy(() -> batch(new Random(9), "d", ImageBatch.MAX_COUNT + 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("65537 images in one batch, over the limit of 65536");
    assertThatThrownBy(() -> new ScheduleStamp(ScheduleStamp.MAX_EPOCH + 1, 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("epoch 1073741825 is over the limit 1073741824");
    // At the limits a batch still round-trips.
    ImageBatch widest = batch(new Random(10), "x".repeat(1024), 2, 3, 3);
    assertThat(ImageBatch.decode(widest.encode())).isEqualTo(widest);
  }

  @Test
  void requireFitsNamesTheFieldThatDiffersFromTheRun() {
    ImageBatch grey10 = batch(new Random(11), "fashion-mnist", 2, 4, 1);
    assertThat(grey10.requireFits(10, 1)).isSameAs(grey10);
    assertThatThrownBy(() -> grey10.requireFits(100, 1))
        .isExactlyInstanceOf(WireFormatException.class)
        .hasMessageContaining("dataset 'fashion-mnist' has 10 classes but this run's model has 100")
        .hasMessageContaining("train a separate run");
    assertThatThrownBy(() -> grey10.requireFits(10, 3))
        .isExactlyInstanceOf(WireFormatException.class)
        .hasMessageContaining("has 1 channels but this run takes 3 (RGB)");
  }
}
