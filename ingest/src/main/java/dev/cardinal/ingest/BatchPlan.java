package dev.cardinal.ingest;

import dev.cardinal.core.wire.ImageBatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Cuts an ordered split into batches of equal-shaped images. A deterministic function of the order
 * and the shapes, so a restarted ingest rebuilds the same batches and resumes after the last one
 * committed. Batches come out in the order they fill; each one's {@code start} is the number of
 * samples in the batches before it, so starts tile the epoch.
 */
final class BatchPlan {
  /** Under the record limit with room for the header, ids and labels. */
  static final long MAX_BATCH_BYTES =
      dev.cardinal.core.config.KafkaSettings.MAX_RECORD_BYTES - (1 << 20);

  record Batch(long start, long[] indices) {
    long end() {
      return start + indices.length;
    }
  }

  private BatchPlan() {}

  static List<Batch> of(
      long[] order, LongFunction<ImageShape> shapeOf, int batchSize, long maxBatchBytes) {
    List<Batch> batches = new ArrayList<>(order.length / batchSize + 4);
    Map<ImageShape, List<Long>> pending = new LinkedHashMap<>();
    Map<ImageShape, Integer> limits = new HashMap<>();
    long start = 0;
    for (long index : order) {
      ImageShape shape = shapeOf.apply(index);
      List<Long> bucket = pending.computeIfAbsent(shape, s -> new ArrayList<>());
      bucket.add(index);
      int limit = limits.computeIfAbsent(shape, s -> limit(s, batchSize, maxBatchBytes));
      if (bucket.size() >= limit) {
        batches.add(new Batch(start, toArray(bucket)));
        start += bucket.size();
        bucket.clear();
      }
    }
    for (List<Long> bucket : pending.values()) {
      if (!bucket.isEmpty()) {
        batches.add(new Batch(start, toArray(bucket)));
        start += bucket.size();
      }
    }
    return batches;
  }

  /** Images per batch: the requested size, within the record size and the wire format's count. */
  static int limit(ImageShape shape, int batchSize, long maxBatchBytes) {
    int requested = Math.min(batchSize, ImageBatch.MAX_COUNT);
    if (shape == null) {
      return requested;
    }
    return (int) Math.max(1, Math.min(requested, maxBatchBytes / shape.bytes()));
  }

  private static long[] toArray(List<Long> values) {
    long[] out = new long[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
