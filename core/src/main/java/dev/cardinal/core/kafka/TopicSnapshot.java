package dev.cardinal.core.kafka;

import dev.cardinal.core.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a topic from the beginning up to its end offsets at the time of the call, without a
 * consumer group: for small state topics (ingest progress) and caches (evaluation images).
 */
public final class TopicSnapshot {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private TopicSnapshot() {}

  /**
   * A consumer without a group whose close neither fails nor logs an error when a shutdown has
   * interrupted the reading thread (closing talks to the broker, which an interrupt cuts short);
   * the interrupt is kept for the caller.
   */
  private record Reader(KafkaConsumer<byte[], byte[]> consumer) implements AutoCloseable {
    Reader(KafkaSettings settings) {
      this(new KafkaConsumer<>(settings.consumerProperties(null)));
    }

    @Override
    public void close() {
      boolean interrupted = Thread.interrupted();
      try {
        consumer.close(CLOSE_TIMEOUT);
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /**
   * Every record from {@code fromOffsets} (or the beginning) up to the end as of now.
   *
   * @throws IllegalStateException if the end is not reached within the timeout
   */
  public static List<ConsumerRecord<byte[], byte[]>> read(
      KafkaSettings settings,
      String topic,
      Map<TopicPartition, Long> fromOffsets,
      Duration timeout) {
    try (Reader reader = new Reader(settings)) {
      KafkaConsumer<byte[], byte[]> consumer = reader.consumer();
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        return List.of();
      }
      List<TopicPartition> partitions =
          infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
      for (TopicPartition tp : partitions) {
        long from = Math.max(fromOffsets.getOrDefault(tp, 0L), begin.get(tp));
        consumer.seek(tp, from);
      }
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!reachedEnd(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "reading " + topic + " did not reach its end within " + timeout.toSeconds() + " s");
        }
        consumer.poll(Duration.ofMillis(100)).forEach(out::add);
      }
      return out;
    }
  }

  public static List<ConsumerRecord<byte[], byte[]>> read(
      KafkaSettings settings, String topic, Duration timeout) {
    return read(settings, topic, Map.of(), timeout);
  }

  /** End offsets per partition of a topic right now. */
  public static Map<TopicPartition, Long> endOffsets(
      KafkaSettings settings, String topic, Duration timeout) {
    try (Reader reader = new Reader(settings)) {
      KafkaConsumer<byte[], byte[]> consumer = reader.consumer();
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null) {
        return Map.of();
      }
      return consumer.endOffsets(
          infos.stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .collect(Collectors.toList()),
          timeout);
    }
  }

  private static boolean reachedEnd(
      KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
