package dev.cardinal.core.wire;

import dev.cardinal.core.kafka.StreamOrder;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * An image batch's place in the training stream, read from its encoded header without decoding the
 * batch: {@code epoch * 2^40 + sampleOffset}. Ingest stamps consecutive batches of an epoch with
 * consecutive offsets, so a batch ends where the next begins, and an epoch's last batch where the
 * next epoch's first begins.
 */
public final class StreamPosition {
  private static final int OFFSET_BITS = 40;
  private static final int COUNT_AT = 8;
  private static final int EPOCH_AT = 28;
  private static final int SAMPLE_OFFSET_AT = 32;
  private static final int EPOCH_SIZE_AT = 40;
  private static final int HEADER_END = 48;

  private StreamPosition() {}

  /**
   * How a trainer orders the batches of a partitioned stream.
   *
   * @param maxWait how long to wait for a missing batch before going on out of order
   */
  public static StreamOrder order(Duration maxWait) {
    return new StreamOrder(StreamPosition::start, StreamPosition::end, maxWait);
  }

  /** Where the batch starts; {@link StreamOrder#UNORDERED} when the header is not a batch's. */
  public static long start(byte[] record) {
    if (!plausible(record)) {
      return StreamOrder.UNORDERED;
    }
    ByteBuffer in = ByteBuffer.wrap(record);
    return pack(in.getInt(EPOCH_AT), in.getLong(SAMPLE_OFFSET_AT));
  }

  /** Where the batch after this one starts. */
  public static long end(byte[] record) {
    if (!plausible(record)) {
      return StreamOrder.UNORDERED;
    }
    ByteBuffer in = ByteBuffer.wrap(record);
    int epoch = in.getInt(EPOCH_AT);
    long next = in.getLong(SAMPLE_OFFSET_AT) + in.getInt(COUNT_AT);
    long epochSize = in.getLong(EPOCH_SIZE_AT);
    return epochSize > 0 && next >= epochSize ? pack(epoch + 1, 0) : pack(epoch, next);
  }

  private static long pack(long epoch, long offset) {
    return (epoch << OFFSET_BITS) + offset;
  }

  /** A header whose position fields are in range; anything else is the consumer's to reject. */
  private static boolean plausible(byte[] record) {
    if (record == null || record.length < HEADER_END) {
      return false;
    }
    ByteBuffer in = ByteBuffer.wrap(record);
    return in.getInt(0) == ImageBatch.MAGIC
        && in.getInt(COUNT_AT) >= 0
        && in.getInt(EPOCH_AT) >= 0
        && in.getInt(EPOCH_AT) < (1 << 22)
        && in.getLong(SAMPLE_OFFSET_AT) >= 0
        && in.getLong(SAMPLE_OFFSET_AT) < (1L << OFFSET_BITS) - Integer.MAX_VALUE;
  }
}
