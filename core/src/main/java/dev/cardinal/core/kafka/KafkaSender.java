package dev.cardinal.core.kafka;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Produces records with acks=all and idempotence. Each {@link Mono} completes only when the broker
 * has acknowledged the record, so "sent" means durable. Thread-safe; share one per stage.
 */
public final class KafkaSender implements AutoCloseable {
  private final KafkaProducer<byte[], byte[]> producer;
  private final int maxRequestBytes;

  public KafkaSender(KafkaSettings settings) {
    this(settings, Map.of());
  }

  public KafkaSender(KafkaSettings settings, Map<String, Object> overrides) {
    Map<String, Object> props = settings.producerProperties();
    props.putAll(overrides);
    Object maxRequest = props.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    this.maxRequestBytes =
        maxRequest instanceof Number n
            ? n.intValue()
            : Integer.parseInt(maxRequest.toString().trim());
    this.producer = new KafkaProducer<>(props);
  }

  /**
   * The producer's {@code max.request.size}: a record whose key, value and headers add up to more
   * is refused before it is sent.
   */
  public int maxRequestBytes() {
    return maxRequestBytes;
  }

  /** Sends when subscribed; completes with the broker's acknowledgement. */
  public Mono<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
    return Mono.create(
        sink -> {
          try {
            producer.send(
                record,
                (metadata, error) -> {
                  if (error != null) {
                    sink.error(error);
                  } else {
                    sink.success(metadata);
                  }
                });
          } catch (RuntimeException e) {
            sink.error(e);
          }
        });
  }

  public Mono<RecordMetadata> send(String topic, byte[] key, byte[] value) {
    return send(new ProducerRecord<>(topic, key, value));
  }

  /** Sends an event as Cardinal's topics hold them: the UTF-8 key, the event as {@link Json}. */
  public Mono<RecordMetadata> sendJson(String topic, String key, Object event) {
    return send(topic, key.getBytes(StandardCharsets.UTF_8), Json.toBytes(event));
  }

  /**
   * Sends a stream of records keeping up to {@code inFlight} unacknowledged at once; results come
   * out in input order.
   */
  public Flux<RecordMetadata> sendAll(Flux<ProducerRecord<byte[], byte[]>> records, int inFlight) {
    return records.flatMapSequential(this::send, inFlight, 1);
  }

  /** Blocks until every record sent so far is acknowledged. */
  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
