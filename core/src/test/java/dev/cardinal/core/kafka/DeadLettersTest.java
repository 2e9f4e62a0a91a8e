package dev.cardinal.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

/**
 * Dead letters on the real broker: a record larger than its dead-letter topic or the producer
 * accepts still becomes a dead letter (cut, with the reason and its original size), and one that
 * cannot be sent at all is counted without failing the caller's stream.
 */
class DeadLettersTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final KafkaSettings kafka = TestServices.kafka();

  @Test
  void aRecordTooLargeForTheDeadLetterTopicArrivesCutWithItsReasonAndSize() {
    String stage = TestServices.unique("dlq-small");
    TestServices.createTopic(
        kafka, Topics.deadLetters(stage), 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "8192"));
    byte[] original = randomBytes(64 * 1024, 1);
    ReceivedRecord record = produceAndReceive(original);

    try (KafkaSender sender = new KafkaSender(kafka)) {
      DeadLetters deadLetters = new DeadLetters(sender, stage);
      deadLetters.send(record, "not an image batch: magic 0x01020304").block(WAIT);
      // The same producer goes on: a small dead letter after the refused one arrives whole.
      deadLetters.send("some/file.png", null, new byte[] {1, 2, 3}, "corrupt image").block(WAIT);

      List<ConsumerRecord<byte[], byte[]>> dead =
          TestServices.consumeAll(kafka, Topics.deadLetters(stage), WAIT);
      assertThat(dead).hasSize(2);
      ConsumerRecord<byte[], byte[]> cut = dead.get(0);
      assertThat(cut.value()).isEqualTo(Arrays.copyOf(original, DeadLetters.FALLBACK_VALUE_BYTES));
      assertThat(header(cut, DeadLetters.REASON_HEADER))
          .isEqualTo("not an image batch: magic 0x01020304");
      assertThat(header(cut, DeadLetters.ORIGINAL_SIZE_HEADER)).isEqualTo("65536");
      assertThat(header(cut, DeadLetters.ORIGINAL_TOPIC_HEADER)).isEqualTo(record.topic());
      assertThat(header(cut, DeadLetters.ORIGINAL_PARTITION_HEADER)).isEqualTo("0");
      assertThat(header(cut, DeadLetters.ORIGINAL_OFFSET_HEADER))
          .isEqualTo(Long.toString(record.offset()));
      assertThat(header(cut, DeadLetters.ORIGIN_HEADER)).isEqualTo(record.toString());
      assertThat(header(cut, DeadLetters.TRUNCATED_HEADER))
          .startsWith("value cut to 1024 of 65536 bytes: refused as too large");

      ConsumerRecord<byte[], byte[]> whole = dead.get(1);
      assertThat(whole.value()).containsExactly(1, 2, 3);
      assertThat(whole.headers().lastHeader(DeadLetters.TRUNCATED_HEADER)).isNull();
      assertThat(header(whole, DeadLetters.ORIGINAL_SIZE_HEADER)).isEqualTo("3");
      assertThat(deadLetters.count()).isEqualTo(2);
      assertThat(deadLetters.unsent()).isZero();
    }
  }

  @Test
  void aValueOverTheProducersRequestLimitIsCutBeforeItIsSent() {
    String stage = TestServices.unique("dlq-request");
    TestServices.createTopic(kafka, Topics.deadLetters(stage), 1);
    int requestLimit = 64 * 1024;
    byte[] original = randomBytes(200 * 1024, 2);

    try (KafkaSender sender =
        new KafkaSender(kafka, Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, requestLimit))) {
      DeadLetters deadLetters = new DeadLetters(sender, stage);
      deadLetters.send("big/file.bin", "key".getBytes(), original, "too big to decode").block(WAIT);

      ConsumerRecord<byte[], byte[]> dead =
          TestServices.consumeAll(kafka, Topics.deadLetters(stage), WAIT).get(0);
      int kept = requestLimit - DeadLetters.HEADROOM_BYTES;
      assertThat(dead.value()).isEqualTo(Arrays.copyOf(original, kept));
      assertThat(header(dead, DeadLetters.ORIGINAL_SIZE_HEADER)).isEqualTo("204800");
      assertThat(header(dead, DeadLetters.TRUNCATED_HEADER))
          .isEqualTo(
              "value cut to "
                  + kept
                  + " of 204800 bytes: over the dead-letter limit of 65536 bytes (producer"
                  + " max.request.size, topic max.message.bytes)");
      assertThat(header(dead, DeadLetters.REASON_HEADER)).isEqualTo("too big to decode");
      assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("key");
    }
  }

  @Test
  void aDeadLetterThatCannotBeSentCompletesAndIsCounted() {
    String stage = TestServices.unique("dlq-tiny");
    // Smaller than any dead letter with its headers: every send is refused by the broker.
    TestServices.createTopic(
        kafka, Topics.deadLetters(stage), 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "256"));

    try (KafkaSender sender = new KafkaSender(kafka)) {
      DeadLetters deadLetters = new DeadLetters(sender, stage);
      for (int i = 0; i < 2; i++) {
        // block() returns normally: the caller's stream is not ended by the failed send.
        deadLetters.send("file-" + i, null, randomBytes(4096, i), "corrupt").block(WAIT);
      }
      assertThat(deadLetters.count()).isEqualTo(2);
      assertThat(deadLetters.unsent()).isEqualTo(2);
      assertThat(TestServices.consumeAll(kafka, Topics.deadLetters(stage), WAIT)).isEmpty();
    }
  }

  /** A record of a real topic, as a stage's receiver hands it over. */
  private ReceivedRecord produceAndReceive(byte[] value) {
    String source = TestServices.unique("dlq-source");
    TestServices.createTopic(kafka, source, 1);
    try (KafkaSender sender = new KafkaSender(kafka)) {
      sender.send(source, "k".getBytes(), value).block(WAIT);
    }
    ConsumerRecord<byte[], byte[]> record = TestServices.consumeAll(kafka, source, WAIT).get(0);
    return new ReceivedRecord(
        record,
        new PartitionProgress(
            new TopicPartition(record.topic(), record.partition()), new AtomicLong()));
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
    return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}
