package dev.cardinal.ingest;

import dev.cardinal.core.config.KafkaSettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;

/**
 * A transactional producer: batches and the progress record that covers them commit together, so
 * after a crash a read_committed consumer sees each batch exactly once. A new instance with the
 * same transactional id fences the old one and aborts what it left open. Not thread-safe.
 */
final class TransactionalOutput implements AutoCloseable {
  private final KafkaProducer<byte[], byte[]> producer;
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private boolean open;
  private long openedNanos;
  private int records;
  private long bytes;

  /**
   * The client waits retry.backoff.ms (100 ms by default) before its first request to a broker it
   * just discovered (the transaction coordinator; the leader of a topic it has not written yet):
   * ~0.1 s of every start and of the first metrics record. Retries still back off exponentially up
   * to retry.backoff.max.ms (1 s).
   */
  static final Map<String, Object> QUICK_RETRY = Map.of(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 10);

  TransactionalOutput(KafkaSettings settings, String transactionalId) {
    Map<String, Object> props = settings.producerProperties();
    props.putAll(QUICK_RETRY);
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
    producer = new KafkaProducer<>(props);
    try {
      producer.initTransactions();
    } catch (KafkaException e) {
      producer.close(Duration.ZERO);
      throw new IllegalStateException(
          "Kafka at "
              + settings.bootstrapServers()
              + " refused a transactional producer ("
              + e.getMessage()
              + "); the broker needs transaction.state.log.replication.factor <= its broker count",
          e);
    }
  }

  void send(String topic, byte[] key, byte[] value) {
    if (!open) {
      producer.beginTransaction();
      open = true;
      openedNanos = System.nanoTime();
      records = 0;
      bytes = 0;
    }
    producer.send(
        new ProducerRecord<>(topic, key, value),
        (metadata, error) -> {
          if (error != null) {
            failure.compareAndSet(null, error);
          }
        });
    records++;
    bytes += value == null ? 0 : value.length;
  }

  boolean isOpen() {
    return open;
  }

  int records() {
    return records;
  }

  long bytes() {
    return bytes;
  }

  Duration age() {
    return open ? Duration.ofNanos(System.nanoTime() - openedNanos) : Duration.ZERO;
  }

  /** Commits what was sent; throws when any of it failed (then nothing of it is visible). */
  void commit() {
    if (!open) {
      return;
    }
    open = false;
    producer.commitTransaction();
    Exception error = failure.getAndSet(null);
    if (error != null) {
      throw new IllegalStateException(
          "a record of the committed transaction failed: " + error, error);
    }
  }

  @Override
  public void close() {
    // An open transaction is left to the broker (aborted on close, or by the next instance).
    producer.close(Duration.ofSeconds(5));
  }
}
