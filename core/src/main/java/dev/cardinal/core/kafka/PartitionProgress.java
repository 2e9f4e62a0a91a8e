package dev.cardinal.core.kafka;

import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;

/**
 * Offsets emitted but not yet acknowledged in one assigned partition. The committable position is
 * the lowest unacknowledged offset, so a slow record holds back the commit of faster ones behind it
 * instead of being skipped.
 */
final class PartitionProgress {
  private final TopicPartition partition;
  private final ConcurrentSkipListSet<Long> inFlight = new ConcurrentSkipListSet<>();
  private final AtomicBoolean dirty = new AtomicBoolean();
  private volatile long nextAfterEmitted = -1;
  private long lastCommitted = -1;

  private final AtomicLong acknowledgedCounter;

  /**
   * @param acknowledgedCounter counts acknowledgements across partitions, to commit in batches
   */
  PartitionProgress(TopicPartition partition, AtomicLong acknowledgedCounter) {
    this.partition = partition;
    this.acknowledgedCounter = acknowledgedCounter;
  }

  TopicPartition partition() {
    return partition;
  }

  /** Called on the poll thread before the record goes downstream. */
  void emitted(long offset) {
    inFlight.add(offset);
    nextAfterEmitted = offset + 1;
  }

  void acknowledge(long offset) {
    if (inFlight.remove(offset)) {
      dirty.set(true);
      acknowledgedCounter.incrementAndGet();
    }
  }

  int inFlightCount() {
    return inFlight.size();
  }

  /**
   * The offset to commit now, or -1 when nothing new was acknowledged. Called on the poll thread
   * only.
   */
  long takeCommittable() {
    if (!dirty.getAndSet(false)) {
      return -1;
    }
    return takePosition();
  }

  /**
   * The offset to commit in a batch: everything before the lowest unacknowledged record, or -1 when
   * that was committed already. Called on the poll thread only.
   */
  long takePosition() {
    long position = position();
    if (position < 0 || position <= lastCommitted) {
      return -1;
    }
    lastCommitted = position;
    return position;
  }

  /**
   * The offset to commit on revoke or close, even if an earlier (asynchronous) commit of it may
   * have succeeded: committing it twice is harmless, losing it redoes work. -1 when nothing was
   * emitted. Called on the poll thread only.
   */
  long position() {
    if (nextAfterEmitted < 0) {
      return -1;
    }
    Long lowest = inFlight.ceiling(Long.MIN_VALUE);
    return lowest == null ? nextAfterEmitted : lowest;
  }

  /** An asynchronous commit failed: commit again with the next batch. Poll thread only. */
  void commitFailed() {
    lastCommitted = -1;
    dirty.set(true);
  }
}
