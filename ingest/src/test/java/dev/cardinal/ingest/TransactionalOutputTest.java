package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.testing.TestServices;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The transactional producer of ingest, against the real client and broker. */
class TransactionalOutputTest {

  /**
   * Ingest reuses a record's array for the next batch as soon as its send returned (see {@link
   * BatchWriter#recycle}); that holds only while KafkaProducer.send copies the value. Checked for a
   * value that fits the producer's batch size and for one larger than it, which takes another path
   * in the client.
   */
  @Test
  void sendCopiesTheValueSoItsArrayCanBeOverwrittenAtOnce() {
    KafkaSettings kafka = TestServices.kafka();
    String topic = TestServices.unique("copied");
    TestServices.createTopic(kafka, topic, 1);
    SplittableRandom random = new SplittableRandom(7);
    byte[] small = new byte[100_000];
    byte[] large = new byte[1_000_000];
    random.nextBytes(small);
    random.nextBytes(large);
    byte[] smallSent = small.clone();
    byte[] largeSent = large.clone();
    try (TransactionalOutput out = new TransactionalOutput(kafka, TestServices.unique("txn"))) {
      out.send(topic, new byte[] {1}, small);
      Arrays.fill(small, (byte) 0);
      out.send(topic, new byte[] {2}, large);
      Arrays.fill(large, (byte) 0);
      out.commit();
    }
    List<ConsumerRecord<byte[], byte[]>> records =
        TestServices.consumeAll(kafka, topic, Duration.ofSeconds(30));
    assertThat(records).hasSize(2);
    assertThat(records.get(0).value()).isEqualTo(smallSent);
    assertThat(records.get(1).value()).isEqualTo(largeSent);
  }
}
