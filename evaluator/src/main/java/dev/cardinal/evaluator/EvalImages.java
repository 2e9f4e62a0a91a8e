package dev.cardinal.evaluator;

import dev.cardinal.core.wire.ImageBatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The held-out images in memory, re-batched to the evaluator's inference batch size whatever size
 * ingest gave its batches: small topic batches would starve the device, huge ones would not fit.
 * Images of different shapes go to different batches.
 */
final class EvalImages {
  /** Images of one shape, uint8 HWC, ready to cross to the device in one copy. */
  record Batch(int height, int width, int channels, int[] labels, byte[] pixels) {
    int size() {
      return labels.length;
    }
  }

  private final int batchSize;
  private final List<Batch> full = new ArrayList<>();
  private final Map<String, Open> open = new LinkedHashMap<>();
  private long images;
  private int nativeResolution;
  private int classes;

  EvalImages(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    this.batchSize = batchSize;
  }

  /**
   * Adds a batch's images.
   *
   * @throws IllegalArgumentException when its class count differs from the batches before it (one
   *     dataset has one label space)
   */
  void add(ImageBatch batch) {
    if (batch.size() == 0) {
      return;
    }
    if (images == 0) {
      nativeResolution = Math.min(batch.height(), batch.width());
      classes = batch.classes();
    } else if (batch.classes() != classes) {
      throw new IllegalArgumentException(
          "eval batch of '"
              + batch.datasetId()
              + "' has "
              + batch.classes()
              + " classes, but its dataset's earlier eval images have "
              + classes);
    }
    Open target =
        open.computeIfAbsent(
            batch.height() + "x" + batch.width() + "x" + batch.channels(),
            k -> new Open(batch.height(), batch.width(), batch.channels(), batchSize));
    int imageBytes = batch.imageBytes();
    int from = 0;
    while (from < batch.size()) {
      int n = Math.min(batch.size() - from, batchSize - target.size);
      System.arraycopy(
          batch.pixels(),
          from * imageBytes,
          target.pixels,
          target.size * imageBytes,
          n * imageBytes);
      System.arraycopy(batch.labels(), from, target.labels, target.size, n);
      target.size += n;
      from += n;
      if (target.size == batchSize) {
        full.add(target.build());
        target.size = 0;
        target.pixels = new byte[batchSize * imageBytes];
        target.labels = new int[batchSize];
      }
    }
    images += batch.size();
  }

  /** Classes of the dataset's label space (0 before the first image). */
  int classes() {
    return classes;
  }

  long images() {
    return images;
  }

  boolean isEmpty() {
    return images == 0;
  }

  /**
   * The shorter side of the first images seen: what "native resolution" means without a schedule.
   */
  int nativeResolution() {
    return nativeResolution;
  }

  /** Every image once, in inference batches (the last of each shape may be smaller). */
  List<Batch> batches() {
    List<Batch> out = new ArrayList<>(full);
    for (Open o : open.values()) {
      if (o.size > 0) {
        out.add(o.build());
      }
    }
    return out;
  }

  private static final class Open {
    final int height;
    final int width;
    final int channels;
    int size;
    byte[] pixels;
    int[] labels;

    Open(int height, int width, int channels, int batchSize) {
      this.height = height;
      this.width = width;
      this.channels = channels;
      this.pixels = new byte[batchSize * height * width * channels];
      this.labels = new int[batchSize];
    }

    Batch build() {
      int bytes = size * height * width * channels;
      return new Batch(
          height,
          width,
          channels,
          java.util.Arrays.copyOf(labels, size),
          pixels.length == bytes ? pixels : java.util.Arrays.copyOf(pixels, bytes));
    }
  }
}
