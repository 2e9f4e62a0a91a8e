package dev.cardinal.app;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.TopicSnapshot;
import dev.cardinal.core.wire.WireFormatException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads and writes {@code cardinal.sweeps} (one partition, kept forever, keyed by sweep id). */
final class SweepLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SweepLog.class);
  private static final TopicPartition PARTITION = new TopicPartition(Topics.SWEEPS, 0);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** The events up to a moment, and the offset after them, where following them continues. */
  record Snapshot(List<SweepEvent> events, long nextOffset) {
    Map<String, SweepFold> sweeps() {
      return SweepFold.foldAll(events);
    }

    /** The sweep of that id, or a user error saying how to find the known ones. */
    SweepFold sweep(String sweepId) {
      SweepFold sweep = sweeps().get(sweepId);
      if (sweep == null) {
        throw new UserError(
            "no sweep '"
                + sweepId
                + "' on "
                + Topics.SWEEPS
                + ": 'cardinal sweep list' shows them");
      }
      return sweep;
    }
  }

  private final KafkaSettings kafka;
  private final KafkaSender sender;

  SweepLog(KafkaSettings kafka) {
    this.kafka = kafka;
    this.sender = new KafkaSender(kafka);
  }

  /** Publishes and waits for the broker's acknowledgement. */
  void publish(SweepEvent event) {
    try {
      sender.send(record(event)).block(TIMEOUT);
    } catch (RuntimeException e) {
      throw new UserError("cannot publish to " + Topics.SWEEPS + ": " + e.getMessage(), e);
    }
  }

  /** Publishes without waiting (progress, from a training thread); a failure is logged. */
  void publishLater(SweepEvent event) {
    sender
        .send(record(event))
        .subscribe(
            sent -> {}, e -> log.warn("sweep event not sent ({}): {}", event.kind(), e.toString()));
  }

  private org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]> record(
      SweepEvent event) {
    return new org.apache.kafka.clients.producer.ProducerRecord<>(
        Topics.SWEEPS, event.sweepId().getBytes(StandardCharsets.UTF_8), Json.toBytes(event));
  }

  /** Every event so far. */
  Snapshot read() {
    long end = TopicSnapshot.endOffsets(kafka, Topics.SWEEPS, TIMEOUT).getOrDefault(PARTITION, 0L);
    List<SweepEvent> events = new ArrayList<>();
    long next = end;
    for (ConsumerRecord<byte[], byte[]> record :
        TopicSnapshot.read(kafka, Topics.SWEEPS, TIMEOUT)) {
      next = Math.max(next, record.offset() + 1);
      SweepEvent event = decode(record);
      if (event != null) {
        events.add(event);
      }
    }
    return new Snapshot(events, next);
  }

  /**
   * Tells {@code listener} of every event from {@code offset} on, on a thread of its own, until the
   * returned handle is closed.
   */
  AutoCloseable follow(long offset, Consumer<SweepEvent> listener) {
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.consumerProperties(null));
    consumer.assign(List.of(PARTITION));
    consumer.seek(PARTITION, offset);
    Thread thread =
        new Thread(
            () -> {
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  for (ConsumerRecord<byte[], byte[]> record :
                      consumer.poll(Duration.ofMillis(500))) {
                    SweepEvent event = decode(record);
                    if (event != null) {
                      tell(listener, event);
                    }
                  }
                }
              } catch (WakeupException e) {
                // closed
              } finally {
                consumer.close();
              }
            },
            "sweep-follower");
    thread.setDaemon(true);
    thread.start();
    return () -> {
      consumer.wakeup();
      thread.join(10_000);
    };
  }

  private static void tell(Consumer<SweepEvent> listener, SweepEvent event) {
    try {
      listener.accept(event);
    } catch (RuntimeException e) {
      // One event the listener cannot act on must not end the following of the others.
      log.warn("Sweep event {} of {} not handled: {}", event.kind(), event.sweepId(), e.toString());
    }
  }

  private static SweepEvent decode(ConsumerRecord<byte[], byte[]> record) {
    try {
      return Json.fromBytes(record.value(), SweepEvent.class);
    } catch (WireFormatException e) {
      log.warn("Skipping {} offset {}: {}", Topics.SWEEPS, record.offset(), e.getMessage());
      return null;
    }
  }

  @Override
  public void close() {
    sender.close();
  }
}
