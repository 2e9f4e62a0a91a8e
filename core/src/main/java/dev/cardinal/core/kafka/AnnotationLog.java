package dev.cardinal.core.kafka;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.AnnotationEvent;
import dev.cardinal.core.event.AnnotationFold;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.wire.WireFormatException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cardinal.annotations} folded in order, read incrementally from its start, plus the one way
 * to write to it: {@link #append} produces an event, waits for the broker's acknowledgement and
 * folds the log through that event's offset, so the caller learns whether the log accepted it given
 * everything before it. That makes a user's alias and retention's deletion race-free without locks
 * between processes: the partition's order decides. Thread-safe.
 */
public final class AnnotationLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AnnotationLog.class);
  private static final TopicPartition PARTITION = new TopicPartition(Topics.ANNOTATIONS, 0);

  private final KafkaSettings kafka;
  private final KafkaSender sender;
  private final Duration timeout;
  private final Consumer<AnnotationEvent> onAccepted;
  private final AnnotationFold fold = new AnnotationFold();
  private KafkaConsumer<byte[], byte[]> consumer;
  private long next;
  private long skipped;

  /**
   * @param sender where {@link #append} produces; it waits for acks=all like every Cardinal sender
   * @param onAccepted told of each accepted event as it is folded, in log order, under this log's
   *     lock (the registry uses it to bring its store in line)
   */
  public AnnotationLog(
      KafkaSettings kafka,
      KafkaSender sender,
      Duration timeout,
      Consumer<AnnotationEvent> onAccepted) {
    this.kafka = kafka;
    this.sender = sender;
    this.timeout = timeout;
    this.onAccepted = onAccepted;
  }

  public AnnotationLog(KafkaSettings kafka, KafkaSender sender) {
    this(kafka, sender, Duration.ofSeconds(30), e -> {});
  }

  /**
   * Folds every event produced so far.
   *
   * @throws IllegalStateException when the end of the log is not reached within the timeout
   */
  public synchronized void catchUp() {
    KafkaConsumer<byte[], byte[]> c = consumer();
    long end = c.endOffsets(List.of(PARTITION), timeout).get(PARTITION);
    readTo(end, -1);
  }

  /**
   * Produces {@code event}, waits for its acknowledgement and folds the log through it.
   *
   * @return whether the log accepted it: false for a SET on a checkpoint retention announced it
   *     deletes, or a DELETE_INTENT for a checkpoint an alias or tag holds (see {@link
   *     AnnotationFold})
   * @throws IllegalStateException when Kafka does not acknowledge or cannot be read in time
   */
  public synchronized boolean append(AnnotationEvent event) {
    RecordMetadata sent =
        sender
            .send(
                Topics.ANNOTATIONS,
                event.checkpointId().getBytes(StandardCharsets.UTF_8),
                Json.toBytes(event.validate()))
            .block(timeout);
    if (sent == null) {
      throw new IllegalStateException(
          "Kafka did not acknowledge the annotation within " + timeout.toSeconds() + " s");
    }
    // Everything this consumer read so far was produced before this send, so next <= offset.
    return readTo(sent.offset() + 1, sent.offset());
  }

  public synchronized boolean held(String runId, long step) {
    return fold.held(runId, step);
  }

  public synchronized boolean deleting(String runId, long step) {
    return fold.deleting(runId, step);
  }

  public synchronized OptionalLong alias(String runId, String alias) {
    return fold.alias(runId, alias);
  }

  public synchronized boolean hasTag(String runId, long step, String tag) {
    return fold.hasTag(runId, step, tag);
  }

  /** Records that were not valid annotations and were passed over. */
  public synchronized long skipped() {
    return skipped;
  }

  /** Reads up to {@code end}; returns whether the record at {@code watch} was accepted. */
  private boolean readTo(long end, long watch) {
    KafkaConsumer<byte[], byte[]> c = consumer();
    boolean accepted = false;
    boolean seen = false;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (next < end) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "reading "
                + Topics.ANNOTATIONS
                + " did not reach offset "
                + end
                + " within "
                + timeout.toSeconds()
                + " s (at "
                + next
                + "): is the broker up?");
      }
      for (ConsumerRecord<byte[], byte[]> record : c.poll(Duration.ofMillis(100))) {
        boolean ok = fold(record);
        if (record.offset() == watch) {
          accepted = ok;
          seen = true;
        }
        next = record.offset() + 1;
      }
      next = Math.max(next, c.position(PARTITION));
    }
    if (watch >= 0 && !seen) {
      throw new IllegalStateException(
          "the annotation just written at offset " + watch + " was not read back");
    }
    return accepted;
  }

  private boolean fold(ConsumerRecord<byte[], byte[]> record) {
    AnnotationEvent event;
    try {
      event = Json.fromBytes(record.value(), AnnotationEvent.class).validate();
    } catch (WireFormatException e) {
      // Every reader passes over the same bad record, so they still agree on the rest.
      skipped++;
      log.warn("Skipping {} offset {}: {}", Topics.ANNOTATIONS, record.offset(), e.getMessage());
      return false;
    }
    boolean accepted = fold.apply(event);
    if (accepted) {
      onAccepted.accept(event);
    }
    return accepted;
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    if (consumer == null) {
      KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties(null));
      int partitions = c.partitionsFor(Topics.ANNOTATIONS, timeout).size();
      if (partitions != 1) {
        c.close();
        // Order decides races only within one partition; a topic made by hand with more breaks
        // that, and a missing one means the stage started without creating Cardinal's topics.
        throw new IllegalStateException(
            Topics.ANNOTATIONS
                + " has "
                + partitions
                + " partitions, not 1: create it with one partition"
                + " (TopicAdmin.ensureTopics does when it is missing)");
      }
      c.assign(List.of(PARTITION));
      c.seek(PARTITION, 0);
      consumer = c;
    }
    return consumer;
  }

  @Override
  public synchronized void close() {
    if (consumer != null) {
      consumer.close();
      consumer = null;
    }
  }
}
