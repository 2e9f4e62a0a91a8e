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
  }

  /** Training progress in epochs, fractional within the epoch. */
  public double progressEpochs() {
    return epochSize == 0 ? epoch : epoch + (double) sampleOffset / epochSize;
  }
}
