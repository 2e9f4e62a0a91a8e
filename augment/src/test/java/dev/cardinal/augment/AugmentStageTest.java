package dev.cardinal.augment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.TopicAdmin;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
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
      Await.until(
          Duration.ofSeconds(60), "32 images augmented", () -> stage.imagesAugmented() >= 32);
    }

    List<ConsumerRecord<byte[], byte[]>> out =
        TestServices.consumeAll(kafka, Topics.IMAGES_AUGMENTED, Duration.ofSeconds(30));
    assertThat(out).hasSize(8);
    Augmenter reference = new Augmenter(42, null);
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

  @Test
  void twoInstancesInOneGroupAugmentEachBatchExactlyOnce() throws Exception {
    KafkaSettings kafka = TestServices.freshKafka();
    TopicAdmin.ensureTopics(kafka);
    Schedule schedule = Schedule.preset("resnet-rs");
    AugmentStage.Options options =
        AugmentStage.Options.defaults()
            .withSchedule(schedule)
            .withWorkers(1)
            .withMetricsInterval(Duration.ofMillis(300));
    int batches = 24;
    try (AugmentStage a = new AugmentStage(kafka, options);
        AugmentStage b = new AugmentStage(kafka, options)) {
      a.start();
      b.start();
      // Produce only once both members hold partitions, so no rebalance re-delivers a batch.
      try (Admin admin = Admin.create(kafka.adminProperties())) {
        Await.until(
            Duration.ofSeconds(60),
            "both augment instances of group " + AugmentStage.GROUP + " holding partitions",
            () -> {
              ConsumerGroupDescription group =
                  admin
                      .describeConsumerGroups(List.of(AugmentStage.GROUP))
                      .all()
                      .get(10, TimeUnit.SECONDS)
                      .get(AugmentStage.GROUP);
              return group.members().size() == 2
                  && group.members().stream()
                      .allMatch(m -> !m.assignment().topicPartitions().isEmpty());
            });
      }
      try (KafkaSender sender = new KafkaSender(kafka)) {
        for (int n = 0; n < batches; n++) {
          ImageBatch batch =
              AugmenterTest.batch(4, 24, 3, n * 4L, new ScheduleStamp(0, n * 4L, 96));
          sender
              .send(
                  new ProducerRecord<>(
                      Topics.IMAGES_TRAIN,
                      n % TopicAdmin.IMAGE_PARTITIONS,
                      Long.toString(n).getBytes(StandardCharsets.UTF_8),
                      batch.encode()))
              .block();
        }
      }
      Await.until(
          Duration.ofSeconds(60),
          batches + " batches augmented by the two instances",
          () -> a.batchesAugmented() + b.batchesAugmented() >= batches);
      assertThat(a.batchesAugmented()).isPositive();
      assertThat(b.batchesAugmented()).isPositive();
      assertThat(a.batchesAugmented() + b.batchesAugmented()).isEqualTo(batches);
      // A report that counts an instance's last batch was made after it: one from each.
      double lastOfA = a.batchesAugmented();
      double lastOfB = b.batchesAugmented();
      Await.until(
          Duration.ofSeconds(30),
          "a metrics report from each instance counting its last batch",
          () -> {
            List<Double> reported =
                augmentReports(kafka).stream().map(m -> m.values().get("batches")).toList();
            return reported.contains(lastOfA) && reported.contains(lastOfB);
          });
    }
    List<ConsumerRecord<byte[], byte[]>> out =
        TestServices.consumeAll(kafka, Topics.IMAGES_AUGMENTED, Duration.ofSeconds(30));
    Map<Long, Integer> seen = new HashMap<>();
    Augmenter reference = new Augmenter(42, schedule);
    for (ConsumerRecord<byte[], byte[]> record : out) {
      ImageBatch augmented = ImageBatch.decode(record.value());
      seen.merge(augmented.sampleIds()[0], 1, Integer::sum);
      assertThat(augmented.height()).isEqualTo(160);
      long first = augmented.sampleIds()[0];
      ImageBatch input = AugmenterTest.batch(4, 24, 3, first, new ScheduleStamp(0, first, 96));
      assertThat(augmented.pixels()).isEqualTo(reference.augment(input).pixels());
    }
    assertThat(seen).hasSize(batches);
    assertThat(seen.values()).allMatch(c -> c == 1);
    List<ConsumerRecord<byte[], byte[]>> metrics =
        TestServices.consumeAll(kafka, Topics.METRICS, Duration.ofSeconds(5));
    MetricEvent last = Json.fromBytes(metrics.get(metrics.size() - 1).value(), MetricEvent.class);
    assertThat(last.stage()).isEqualTo("augment");
    assertThat(last.values())
        .containsKeys("images_per_s", "consumer_lag_batches", "time_share_crop_flip")
        .containsEntry("train_resolution", 160.0);
  }

  private static List<MetricEvent> augmentReports(KafkaSettings kafka) {
    return TestServices.consumeAll(kafka, Topics.METRICS, Duration.ofSeconds(5)).stream()
        .map(r -> Json.fromBytes(r.value(), MetricEvent.class))
        .filter(m -> m.stage().equals("augment"))
        .toList();
  }
}
