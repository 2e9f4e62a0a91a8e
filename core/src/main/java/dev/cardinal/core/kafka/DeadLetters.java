package dev.cardinal.core.kafka;

import dev.cardinal.core.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Sends records a stage cannot process to its dead-letter topic, with the reason and origin in
 * headers ({@code cardinal.reason}, {@code cardinal.origin}, and for a record of a topic its topic,
 * partition, offset and size), and counts them. The stream goes on: a value too large for the
 * dead-letter topic or the producer is cut to a prefix (header {@code cardinal.truncated} says how
 * and why), and a dead letter that cannot be sent at all is counted in {@link #unsent()} and logged
 * once, never handed to the caller as an error.
 */
public final class DeadLetters {
  public static final String REASON_HEADER = "cardinal.reason";
  public static final String ORIGIN_HEADER = "cardinal.origin";
  public static final String ORIGINAL_TOPIC_HEADER = "cardinal.original.topic";
  public static final String ORIGINAL_PARTITION_HEADER = "cardinal.original.partition";
  public static final String ORIGINAL_OFFSET_HEADER = "cardinal.original.offset";

  /** Bytes of the original value, whether or not the dead letter carries all of them. */
  public static final String ORIGINAL_SIZE_HEADER = "cardinal.original.size";

  /** Present only on a cut dead letter: what was cut and why. */
  public static final String TRUNCATED_HEADER = "cardinal.truncated";

  /** Room left under the record limits for the key, the headers and the batch framing. */
  static final int HEADROOM_BYTES = 16 * 1024;

  /** Longest reason and origin kept: an exception message can quote a whole input. */
  static final int MAX_TEXT_BYTES = 4 * 1024;

  static final int MAX_KEY_BYTES = 1024;

  /**
   * What is kept of a value when the topic refuses even the capped dead letter (a topic created
   * elsewhere with a smaller {@code max.message.bytes}): enough for a record's header.
   */
  static final int FALLBACK_VALUE_BYTES = 1024;

  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

  private final KafkaSender sender;
  private final String topic;
  private final int recordLimit;
  private final int maxValueBytes;
  private final AtomicLong count = new AtomicLong();
  private final AtomicLong unsent = new AtomicLong();
  private final AtomicBoolean unsentLogged = new AtomicBoolean();

  public DeadLetters(KafkaSender sender, String stage) {
    this.sender = sender;
    this.topic = Topics.deadLetters(stage);
    this.recordLimit = Math.min(sender.maxRequestBytes(), TopicAdmin.DEAD_LETTER_MAX_MESSAGE_BYTES);
    this.maxValueBytes = Math.max(FALLBACK_VALUE_BYTES, recordLimit - HEADROOM_BYTES);
  }

  public String topic() {
    return topic;
  }

  /** Bad inputs dead-lettered so far by this instance, sent or not. */
  public long count() {
    return count.get();
  }

  /** Dead letters that could not be sent even cut down (the bad inputs were skipped anyway). */
  public long unsent() {
    return unsent.get();
  }

  /**
   * @param origin where the bad input came from: {@code topic-partition@offset} or a file path
   * @return completes when the dead letter is acknowledged or has finally failed; never an error
   */
  public Mono<Void> send(String origin, byte[] key, byte[] value, String reason) {
    return send(new Letter(origin, null, key, value, reason));
  }

  /** A record of a topic: its topic, partition and offset go into headers as well. */
  public Mono<Void> send(ReceivedRecord record, String reason) {
    return send(
        new Letter(record.toString(), record.record(), record.key(), record.value(), reason));
  }

  private Mono<Void> send(Letter letter) {
    count.incrementAndGet();
    log.warn("Dead letter from {} to {}: {}", letter.origin, topic, letter.reason);
    String capReason =
        "over the dead-letter limit of "
            + recordLimit
            + " bytes (producer max.request.size, topic max.message.bytes)";
    return sender
        .send(letter.toRecord(topic, maxValueBytes, capReason))
        .then()
        .onErrorResume(
            RecordTooLargeException.class,
            e ->
                sender
                    .send(
                        letter.toRecord(
                            topic, FALLBACK_VALUE_BYTES, "refused as too large: " + e.getMessage()))
                    .then())
        .onErrorResume(
            e -> {
              unsent.incrementAndGet();
              if (unsentLogged.compareAndSet(false, true)) {
                log.error(
                    "Cannot send the dead letter from {} to {}: {}. The bad input is skipped;"
                        + " further unsent dead letters are only counted (unsent()); check that"
                        + " the topic exists and the broker accepts this producer's records",
                    letter.origin,
                    topic,
                    e.toString());
              } else {
                log.debug("Unsent dead letter from {}: {}", letter.origin, e.toString());
              }
              return Mono.empty();
            });
  }

  /** A bad input and why; {@code source} is the record it was, if it came from a topic. */
  private record Letter(
      String origin,
      ConsumerRecord<byte[], byte[]> source,
      byte[] key,
      byte[] value,
      String reason) {

    /** The dead letter, its value cut to {@code maxValueBytes} (saying {@code why} if cut). */
    ProducerRecord<byte[], byte[]> toRecord(String topic, int maxValueBytes, String why) {
      RecordHeaders headers = new RecordHeaders();
      headers.add(REASON_HEADER, text(reason));
      headers.add(ORIGIN_HEADER, text(origin));
      if (source != null) {
        headers.add(ORIGINAL_TOPIC_HEADER, text(source.topic()));
        headers.add(ORIGINAL_PARTITION_HEADER, text(Integer.toString(source.partition())));
        headers.add(ORIGINAL_OFFSET_HEADER, text(Long.toString(source.offset())));
      }
      int valueSize = value == null ? 0 : value.length;
      headers.add(ORIGINAL_SIZE_HEADER, text(Integer.toString(valueSize)));
      StringBuilder cut = new StringBuilder();
      byte[] sentValue = value;
      if (valueSize > maxValueBytes) {
        sentValue = Arrays.copyOf(value, maxValueBytes);
        cut.append("value cut to ").append(maxValueBytes).append(" of ").append(valueSize);
        cut.append(" bytes");
      }
      byte[] sentKey = key;
      if (key != null && key.length > MAX_KEY_BYTES) {
        sentKey = Arrays.copyOf(key, MAX_KEY_BYTES);
        cut.append(cut.length() == 0 ? "" : ", ").append("key cut to ").append(MAX_KEY_BYTES);
        cut.append(" of ").append(key.length).append(" bytes");
      }
      if (cut.length() > 0) {
        headers.add(TRUNCATED_HEADER, text(cut.append(": ").append(why).toString()));
      }
      return new ProducerRecord<>(topic, null, sentKey, sentValue, headers);
    }

    /** UTF-8, cut to {@link #MAX_TEXT_BYTES} (at a byte; a split character decodes as U+FFFD). */
    private static byte[] text(String value) {
      byte[] bytes = String.valueOf(value).getBytes(StandardCharsets.UTF_8);
      return bytes.length <= MAX_TEXT_BYTES ? bytes : Arrays.copyOf(bytes, MAX_TEXT_BYTES);
    }
  }
}
