package dev.cardinal.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.testing.SyntheticImages;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import dev.cardinal.core.wire.StreamPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Batches spread over four partitions reach a consumer in stamp order, however unevenly the
 * partitions were filled, on the real broker.
 */
class OrderedReceiveTest {
  private static final int PARTITIONS = 4;
  private static final int EPOCH_SIZE = 48;
  private static final int BATCH = 4;

  private final KafkaSettings kafka = TestServices.kafka();

  @Test
  void stampsNeverGoBackAcrossFourPartitions() {
    String topic = TestServices.unique("ordered");
    TestServices.createTopic(kafka, topic, PARTITIONS);
    int batches = 2 * EPOCH_SIZE / BATCH;
    // The worst layout for a consumer: partition p holds every batch i with i % 4 == p, and all of
    // partition 3 is written first, then 2, 1, 0, so a plain consumer meets late batches first.
    try (KafkaSender sender = new KafkaSender(kafka)) {
      for (int p = PARTITIONS - 1; p >= 0; p--) {
        for (int i = p; i < batches; i += PARTITIONS) {
          int epoch = i * BATCH / EPOCH_SIZE;
          long offset = (long) i * BATCH % EPOCH_SIZE;
          ImageBatch batch =
              SyntheticImages.batch(i * BATCH, BATCH, 8, 10)
                  .withStamp(new ScheduleStamp(epoch, offset, EPOCH_SIZE));
          sender.send(new ProducerRecord<>(topic, p, null, batch.encode())).block();
        }
      }
    }
    ReceiverOptions options =
        ReceiverOptions.of(TestServices.unique("group"), topic)
            .withMaxPollRecords(2)
            .withOrder(StreamPosition.order(Duration.ofSeconds(30)));
    List<ScheduleStamp> stamps = new ArrayList<>();
    new KafkaReceiver(kafka, options)
        .receive()
        .take(batches)
        .doOnNext(r -> stamps.add(ImageBatch.decode(r.value()).stamp()))
        .doOnNext(ReceivedRecord::acknowledge)
        .blockLast(Duration.ofSeconds(60));

    assertThat(stamps).hasSize(batches);
    for (int i = 0; i < batches; i++) {
      assertThat(stamps.get(i).epoch()).isEqualTo(i * BATCH / EPOCH_SIZE);
      assertThat(stamps.get(i).sampleOffset()).isEqualTo((long) i * BATCH % EPOCH_SIZE);
    }
  }
}
