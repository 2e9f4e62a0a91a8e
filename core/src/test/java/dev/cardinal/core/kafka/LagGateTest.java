package dev.cardinal.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestServices;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Whose lag a producer waits for, on the real broker. */
class LagGateTest {
  private final KafkaSettings kafka = TestServices.kafka();

  @Test
  void theSlowestRunningConsumerGroupHoldsTheProducerAndAStoppedOneDoesNot() throws Exception {
    String topic = TestServices.unique("gated");
    TestServices.createTopic(kafka, topic, 1);
    try (KafkaSender sender = new KafkaSender(kafka)) {
      for (int i = 0; i < 100; i++) {
        sender.send(new ProducerRecord<>(topic, 0, null, new byte[] {(byte) i})).block();
      }
    }
    String prefix = TestServices.unique("trainer") + "-";
    TopicPartition partition = new TopicPartition(topic, 0);
    try (LagGate gate = new LagGate(kafka, topic, g -> g.startsWith(prefix), 10);
        KafkaConsumer<byte[], byte[]> fast = member(prefix + "fast", topic);
        KafkaConsumer<byte[], byte[]> slow = member(prefix + "slow", topic)) {
      assertThat(gate.lag()).as("no group has committed: all is lag").isEqualTo(100);
      fast.commitSync(Map.of(partition, new OffsetAndMetadata(100)));
      slow.commitSync(Map.of(partition, new OffsetAndMetadata(30)));
      assertThat(gate.lag()).as("the slow run is 70 behind").isEqualTo(70);

      slow.close();
      assertThat(gate.lag()).as("a stopped run does not hold the others").isZero();
      assertThat(gate.awaitRoom(() -> true)).isTrue();
    }
  }

  /** A consumer that has joined its group (it has partitions), so the group counts as running. */
  private KafkaConsumer<byte[], byte[]> member(String group, String topic) {
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.consumerProperties(group));
    consumer.subscribe(java.util.List.of(topic));
    Await.until(
        Duration.ofSeconds(60),
        group + " holding partitions",
        () -> {
          consumer.poll(Duration.ofMillis(100));
          return !consumer.assignment().isEmpty();
        });
    assertThat(consumer.assignment()).as(group + " joined").isNotEmpty();
    consumer.pause(consumer.assignment());
    return consumer;
  }
}
