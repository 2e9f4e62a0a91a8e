package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The writer that fills records in place must write exactly what ImageBatch.encode() writes. */
class BatchWriterTest {
  @Test
  void writesTheBytesImageBatchEncodes() {
    SplittableRandom random = new SplittableRandom(3);
    for (int channels : new int[] {1, 3}) {
      int count = 5;
      int h = 7;
      int w = 9;
      long[] ids = new long[count];
      int[] labels = new int[count];
      byte[] pixels = new byte[count * h * w * channels];
      random.nextBytes(pixels);
      BatchWriter.Record record =
          new BatchWriter("dataset-é", 10)
              .start(count, new ImageShape(h, w, channels), new ScheduleStamp(2, 512, 60_000));
      int imageBytes = h * w * channels;
      for (int k = 0; k < count; k++) {
        ids[k] = random.nextLong(1L << 41);
        labels[k] = random.nextInt(10);
        System.arraycopy(pixels, k * imageBytes, record.bytes(), record.pixelOffset(k), imageBytes);
        record.put(k, ids[k], labels[k]);
      }
      ImageBatch expected =
          new ImageBatch(
              "dataset-é",
              h,
              w,
              channels,
              10,
              ids,
              labels,
              null,
              pixels,
              new ScheduleStamp(2, 512, 60_000));
      assertThat(record.bytes()).isEqualTo(expected.encode());
      assertThat(ImageBatch.decode(record.bytes())).isEqualTo(expected);
      assertThat(record.firstId()).isEqualTo(ids[0]);
      assertThat(record.count()).isEqualTo(count);
    }
  }

  @Test
  void aRecycledArrayIsReusedAndHoldsNothingOfTheBatchBefore() {
    BatchWriter writer = new BatchWriter("d", 10);
    ImageShape shape = new ImageShape(2, 2, 1);
    BatchWriter.Record first = writer.start(2, shape, new ScheduleStamp(0, 0, 4));
    java.util.Arrays.fill(first.bytes(), (byte) 0x7f); // leftovers a reuse must not keep
    writer.recycle(first.bytes());

    BatchWriter.Record second = writer.start(2, shape, new ScheduleStamp(1, 2, 4));
    assertThat(second.bytes()).isSameAs(first.bytes());
    byte[] pixels = {1, 2, 3, 4, 5, 6, 7, 8};
    for (int k = 0; k < 2; k++) {
      System.arraycopy(pixels, 4 * k, second.bytes(), second.pixelOffset(k), 4);
      second.put(k, 10 + k, k);
    }
    ImageBatch expected =
        new ImageBatch(
            "d",
            2,
            2,
            1,
            10,
            new long[] {10, 11},
            new int[] {0, 1},
            null,
            pixels,
            new ScheduleStamp(1, 2, 4));
    assertThat(second.bytes()).isEqualTo(expected.encode());

    // Another size gets a new array; the spare is used once only.
    writer.recycle(second.bytes());
    assertThat(writer.start(3, shape, new ScheduleStamp(0, 0, 4)).bytes())
        .isNotSameAs(second.bytes());
    assertThat(writer.start(2, shape, new ScheduleStamp(0, 0, 4)).bytes())
        .isNotSameAs(second.bytes());
  }

  @Test
  void refusesWhatImageBatchRefuses() {
    BatchWriter writer = new BatchWriter("d", 4);
    ScheduleStamp stamp = new ScheduleStamp(0, 0, 1);
    assertThatThrownBy(() -> writer.start(1, new ImageShape(4, 4, 2), stamp))
        .hasMessageContaining("channels");
    assertThatThrownBy(() -> writer.start(1, new ImageShape(4, 4, 1), stamp).put(0, 1, 4))
        .hasMessageContaining("label 4");
  }
}
