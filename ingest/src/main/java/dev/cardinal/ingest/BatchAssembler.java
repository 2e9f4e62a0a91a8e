package dev.cardinal.ingest;

import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.stream.IntStream;

/**
 * Turns the images of one planned batch into a record value: loads them (decoding in parallel when
 * they need it), dead-letters the bad ones, and writes the rest in {@link ImageBatch}'s wire
 * format.
 */
final class BatchAssembler {
  /** A batch as the record value sent to Kafka ({@link ImageBatch}'s wire format). */
  record Encoded(byte[] value, int count, long firstId) {}

  private final BatchWriter writer;
  private final ForkJoinPool decoders;
  private final Consumer<BadInput> deadLetter;

  BatchAssembler(BatchWriter writer, ForkJoinPool decoders, Consumer<BadInput> deadLetter) {
    this.writer = writer;
    this.decoders = decoders;
    this.deadLetter = deadLetter;
  }

  /**
   * One batch of a finite source as its record value. Images held in memory are copied straight
   * into the record; others are loaded one by one (see {@link #assemble(LongFunction, long[],
   * ScheduleStamp, boolean)}).
   *
   * @return null when every image of the batch was bad
   */
  Encoded assemble(
      ImageSource src, boolean eval, long[] indices, ScheduleStamp stamp, boolean parallel) {
    if (!(src instanceof InMemoryImages memory)) {
      return assemble(eval ? src::eval : src::train, indices, stamp, parallel);
    }
    BatchWriter.Record record = writer.start(indices.length, memory.shape(eval), stamp);
    byte[] bytes = record.bytes();
    for (int k = 0; k < indices.length; k++) {
      long index = indices[k];
      memory.copyPixels(eval, index, bytes, record.pixelOffset(k));
      record.put(k, memory.sampleId(eval, index), memory.label(eval, index));
    }
    return new Encoded(bytes, record.count(), record.firstId());
  }

  /**
   * Loads the images (in parallel when they need decoding); bad ones are dead-lettered.
   *
   * @return null when every image of the batch was bad
   */
  Encoded assemble(
      LongFunction<LabelledImage> load, long[] indices, ScheduleStamp stamp, boolean parallel) {
    int n = indices.length;
    LabelledImage[] images = new LabelledImage[n];
    BadInput[] bad = new BadInput[n];
    IntStream range = IntStream.range(0, n);
    Runnable loadAll =
        () ->
            (parallel ? range.parallel() : range)
                .forEach(
                    i -> {
                      try {
                        images[i] = load.apply(indices[i]);
                      } catch (BadImageException e) {
                        bad[i] = e.asBadInput();
                      }
                    });
    if (parallel && n > 1) {
      decoders.submit(loadAll).join();
    } else {
      loadAll.run();
    }
    LabelledImage first = null;
    int kept = 0;
    for (int i = 0; i < n; i++) {
      if (bad[i] != null) {
        deadLetter.accept(bad[i]);
      } else if (first == null) {
        first = images[i];
        kept++;
      } else if (images[i].height() != first.height()
          || images[i].width() != first.width()
          || images[i].channels() != first.channels()) {
        deadLetter.accept(
            new BadInput(
                "sample " + images[i].sampleId(),
                "image is "
                    + images[i].height()
                    + "x"
                    + images[i].width()
                    + "x"
                    + images[i].channels()
                    + " but the source promised one size for all images"));
        images[i] = null;
      } else {
        kept++;
      }
    }
    if (first == null) {
      return null;
    }
    ImageShape shape = new ImageShape(first.height(), first.width(), first.channels());
    BatchWriter.Record record = writer.start(kept, shape, stamp);
    long imageBytes = shape.bytes();
    int k = 0;
    for (int i = 0; i < n; i++) {
      LabelledImage image = images[i];
      if (image == null || bad[i] != null) {
        continue;
      }
      if (image.pixels().length != imageBytes) {
        throw new IllegalArgumentException(
            image.pixels().length
                + " pixel bytes for a "
                + shape.height()
                + "x"
                + shape.width()
                + "x"
                + shape.channels()
                + " image (sample "
                + image.sampleId()
                + ")");
      }
      System.arraycopy(image.pixels(), 0, record.bytes(), record.pixelOffset(k), (int) imageBytes);
      record.put(k, image.sampleId(), image.label());
      k++;
    }
    return new Encoded(record.bytes(), record.count(), record.firstId());
  }
}
