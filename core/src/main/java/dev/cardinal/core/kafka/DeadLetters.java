package dev.cardinal.core.kafka;

import dev.cardinal.core.Topics;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Sends records a stage cannot process to its dead-letter topic, with the reason and origin in
 * headers ({@code cardinal.reason}, {@code cardinal.origin}), and counts them. The stream goes on.
 */
public final class DeadLetters {
  public static final String REASON_HEADER = "cardinal.reason";
  public static final String ORIGIN_HEADER = "cardinal.origin";
  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

  private final KafkaSender sender;
  private final String topic;
  private final AtomicLong count = new AtomicLong();

  public DeadLetters(KafkaSender sender, String stage) {
    this.sender = sender;
    this.topic = Topics.deadLetters(stage);
  }

  public String topic() {
    return topic;
  }

  /** Dead letters sent so far by this instance. */
  public long count() {
    return count.get();
  }

  /**
   * @param origin where the bad input came from: {@code topic-partition@offset} or a file path
   */
  public Mono<Void> send(String origin, byte[] key, byte[] value, String reason) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
    headers.add(ORIGIN_HEADER, origin.getBytes(StandardCharsets.UTF_8));
    count.incrementAndGet();
    log.warn("Dead letter from {} to {}: {}", origin, topic, reason);
    return sender.send(new ProducerRecord<>(topic, null, key, value, headers)).then();
  }

  public Mono<Void> send(ReceivedRecord record, String reason) {
    return send(record.toString(), record.key(), record.value(), reason);
  }
}
