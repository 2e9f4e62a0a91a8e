package dev.cardinal.core.wire;

/**
 * Where a batch sits in the run's training progress. Ingest stamps it; augment, trainer and
 * evaluator read the schedule stage from it, so no stage negotiates with another.
 *
 * @param epoch zero-based pass over the training set
 * @param sampleOffset index within the epoch of the batch's first sample
 * @param epochSize samples in one epoch (0 when the source is unbounded)
 */
public record ScheduleStamp(int epoch, long sampleOffset, long epochSize) {

  /**
   * Limits that keep {@code epoch * epochSize + sampleOffset} (samples seen) exact in a long, far
   * beyond any real dataset: a billion epochs of up to four billion samples.
   */
  public static final int MAX_EPOCH = 1 << 30;

  public static final long MAX_EPOCH_SIZE = 1L << 32;

  /** An unbounded stream (epoch size 0) counts its offset on and on: 2^40 samples. */
  public static final long MAX_SAMPLE_OFFSET = 1L << 40;

  public ScheduleStamp {
    if (epoch < 0 || sampleOffset < 0 || epochSize < 0) {
      throw new IllegalArgumentException(
          "schedule stamp fields must be >= 0: epoch="
              + epoch
              + " offset="
              + sampleOffset
              + " size="
              + epochSize);
    }
    if (epoch > MAX_EPOCH) {
      throw new IllegalArgumentException(
          "schedule stamp epoch " + epoch + " is over the limit " + MAX_EPOCH);
    }
    if (epochSize > MAX_EPOCH_SIZE) {
      throw new IllegalArgumentException(
          "schedule stamp epoch size " + epochSize + " is over the limit " + MAX_EPOCH_SIZE);
    }
    if (sampleOffset > MAX_SAMPLE_OFFSET) {
      throw new IllegalArgumentException(
          "schedule stamp sample offset "
              + sampleOffset
              + " is over the limit "
              + MAX_SAMPLE_OFFSET);
    }
  }

  /** Training progress in epochs, fractional within the epoch. */
  public double progressEpochs() {
    return epochSize == 0 ? epoch : epoch + (double) sampleOffset / epochSize;
  }
}
