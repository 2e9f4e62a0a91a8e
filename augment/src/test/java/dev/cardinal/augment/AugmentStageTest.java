package dev.cardinal.augment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.TopicAdmin;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The augment stage against a real broker: every batch augmented once, garbage dead-lettered. */
class AugmentStageTest {

  @Test
  void augmentsEveryBatchAndDeadLettersGarbage() throws Exception {
    KafkaSettings kafka = TestServices.freshKafka();
    TopicAdmin.ensureTopics(kafka);
    Random random = new Random(1);
    Map<Long, ImageBatch> inputs = new HashMap<>();
    try (KafkaSender sender = new KafkaSender(kafka)) {
      for (int b = 0; b < 8; b++) {
        byte[] pixels = new byte[4 * 8 * 8 * 3];
        random.nextBytes(pixels);
        long[] ids = {b * 4L, b * 4L + 1, b * 4L + 2, b * 4L + 3};
        ImageBatch batch =
            new ImageBatch(
                "test",
                8,
                8,
                3,
                10,
                ids,
                new int[] {1, 2, 3, 4},
                null,
                pixels,
                new ScheduleStamp(0, b * 4L, 32));
        inputs.put(ids[0], batch);
        sender
            .send(
                Topics.IMAGES_TRAIN,
                Long.toString(ids[0]).getBytes(StandardCharsets.UTF_8),
                batch.encode())
            .block();
      }
      sender
          .send(Topics.IMAGES_TRAIN, null, "not an image batch".getBytes(StandardCharsets.UTF_8))
          .block();
    }

    try (AugmentStage stage = new AugmentStage(kafka, 42, 0)) {
      stage.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (stage.imagesAugmented() < 32 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
    }

    List<ConsumerRecord<byte[], byte[]>> out =
        TestServices.consumeAll(kafka, Topics.IMAGES_AUGMENTED, Duration.ofSeconds(30));
    assertThat(out).hasSize(8);
    AugmentStage reference = new AugmentStage(kafka, 42, 0);
    for (ConsumerRecord<byte[], byte[]> record : out) {
      ImageBatch augmented = ImageBatch.decode(record.value());
      ImageBatch input = inputs.get(augmented.sampleIds()[0]);
      assertThat(augmented.labels()).isEqualTo(input.labels());
      assertThat(augmented.stamp()).isEqualTo(input.stamp());
      assertThat(augmented.pixels()).isNotEqualTo(input.pixels());
      assertThat(augmented.pixels()).isEqualTo(reference.augment(input).pixels());
    }

    List<ConsumerRecord<byte[], byte[]>> dead =
        TestServices.consumeAll(kafka, Topics.deadLetters("augment"), Duration.ofSeconds(30));
    assertThat(dead).hasSize(1);
    String reason =
        new String(
            dead.get(0).headers().lastHeader(DeadLetters.REASON_HEADER).value(),
            StandardCharsets.UTF_8);
    assertThat(reason).contains("not an image batch");
  }
}
