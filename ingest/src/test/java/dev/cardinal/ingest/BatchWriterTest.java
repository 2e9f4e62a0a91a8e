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
  void refusesWhatImageBatchRefuses() {
    BatchWriter writer = new BatchWriter("d", 4);
    ScheduleStamp stamp = new ScheduleStamp(0, 0, 1);
    assertThatThrownBy(() -> writer.start(1, new ImageShape(4, 4, 2), stamp))
        .hasMessageContaining("channels");
    assertThatThrownBy(() -> writer.start(1, new ImageShape(4, 4, 1), stamp).put(0, 1, 4))
        .hasMessageContaining("label 4");
  }
}
