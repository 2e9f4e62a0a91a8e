package dev.cardinal.core.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * A record handed downstream by {@link KafkaReceiver}. Its offset becomes committable only after
 * {@link #acknowledge()}: call it when the record's effect is durable (produced and acknowledged by
 * the broker, written to the database, ...). Records may be acknowledged out of order; the
 * committed offset never passes an unacknowledged record.
 */
public final class ReceivedRecord {
  private final ConsumerRecord<byte[], byte[]> record;
  private final PartitionProgress progress;

  ReceivedRecord(ConsumerRecord<byte[], byte[]> record, PartitionProgress progress) {
    this.record = record;
    this.progress = progress;
  }

  public ConsumerRecord<byte[], byte[]> record() {
    return record;
  }

  public byte[] value() {
    return record.value();
  }

  public byte[] key() {
    return record.key();
  }

  public String topic() {
    return record.topic();
  }

  public long offset() {
    return record.offset();
  }

  public TopicPartition topicPartition() {
    return progress.partition();
  }

  /** The partition's bookkeeping; tests read how many records are emitted but unacknowledged. */
  PartitionProgress progress() {
    return progress;
  }

  /** Marks this record done; its offset is committed with the next batch of commits. */
  public void acknowledge() {
    progress.acknowledge(record.offset());
  }

  @Override
  public String toString() {
    return record.topic() + "-" + record.partition() + "@" + record.offset();
  }
}
