package dev.cardinal.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.TopicAdmin;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The trainer against a real broker, a real S3 server and the real DJL engine. */
class TrainerStageTest {
  private static KafkaSettings kafka;
  private static CheckpointStore store;

  @BeforeAll
  static void services() throws Exception {
    kafka = TestServices.freshKafka();
    TopicAdmin.ensureTopics(kafka);
    store = new CheckpointStore(TestServices.s3());
    Random random = new Random(3);
    try (KafkaSender sender = new KafkaSender(kafka)) {
      for (int b = 0; b < 16; b++) {
        int n = 8;
        byte[] pixels = new byte[n * 16 * 16 * 3];
        random.nextBytes(pixels);
        long[] ids = new long[n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
          ids[i] = b * n + i;
          labels[i] = random.nextInt(10);
        }
        ImageBatch batch =
            new ImageBatch(
                "random",
                16,
                16,
                3,
                10,
                ids,
                labels,
                null,
                pixels,
                new ScheduleStamp(0, b * n, 16 * n));
        // One partition keeps the order, so "which batches were trained" is easy to check.
        sender
            .send(
                new org.apache.kafka.clients.producer.ProducerRecord<>(
                    Topics.IMAGES_AUGMENTED, 0, null, batch.encode()))
            .block();
      }
    }
  }

  @AfterAll
  static void close() {
    store.close();
  }

  private static TrainerConfig config(String run, long maxSteps) {
    return new TrainerConfig(run, "resnet20", 0.1, 0.9, 1e-4, 2, 5, 5, maxSteps);
  }

  @Test
  void checkpointsAnnouncesAndResumesWhereItStopped() {
    String run = TestServices.unique("run");
    TrainerStage first = new TrainerStage(config(run, 10), kafka, store);
    first.run();
    assertThat(first.step()).isEqualTo(10);
    assertThat(store.completeCheckpoints(run)).containsExactly(5L, 10L);

    CheckpointManifest manifest = store.getManifest(run, 10);
    assertThat(manifest.step()).isEqualTo(10);
    assertThat(manifest.model()).isEqualTo("resnet20");
    assertThat(manifest.offsets().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(10);
    assertThat(manifest.objects()).contains("params", "optimizer");
    assertThat(manifest.recentMetrics()).containsKey("loss");

    List<CheckpointEvent> events =
        TestServices.consumeAll(kafka, Topics.CHECKPOINTS, Duration.ofSeconds(30)).stream()
            .map(r -> Json.fromBytes(r.value(), CheckpointEvent.class))
            .filter(e -> e.runId().equals(run))
            .toList();
    // Checkpoint events are keyed by id over several partitions: order is per partition only.
    assertThat(events).extracting(CheckpointEvent::step).containsExactlyInAnyOrder(5L, 10L);
    assertThat(events)
        .extracting(CheckpointEvent::prefix)
        .contains(CheckpointStore.checkpointPrefix(run, 10));

    List<MetricEvent> metrics =
        TestServices.consumeAll(kafka, Topics.METRICS, Duration.ofSeconds(30)).stream()
            .map(r -> Json.fromBytes(r.value(), MetricEvent.class))
            .filter(e -> run.equals(e.runId()))
            .toList();
    assertThat(metrics).isNotEmpty();
    assertThat(metrics.get(0).values())
        .containsKeys("loss", "learning_rate", "images_per_s", "data_wait_fraction");
    assertThat(metrics.get(0).values().get("loss")).isFinite().isPositive();

    // A half-written checkpoint from a crash is never resumed from and is cleaned up.
    store.putBytes(CheckpointStore.checkpointPrefix(run, 12) + "params", new byte[] {1, 2, 3});

    TrainerStage second = new TrainerStage(config(run, 15), kafka, store);
    second.run();
    assertThat(second.step()).isEqualTo(15);
    assertThat(store.incompleteCheckpoints(run)).isEmpty();
    assertThat(store.completeCheckpoints(run)).containsExactly(5L, 10L, 15L);
    CheckpointManifest resumed = store.getManifest(run, 15);
    assertThat(resumed.parentCheckpoint()).isEqualTo(run + "/10");
    // The resumed run read batches 10..14, continuing from the manifest's offsets.
    assertThat(resumed.offsets().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(15);
  }

  @Test
  void badConfigurationFailsBeforeConsuming() {
    assertThatThrownBy(() -> new TrainerConfig("x", "resnet9000", 0.1, 0.9, 0, 0, 1, 1, 0))
        .hasMessageContaining("unknown model 'resnet9000'");
    assertThatThrownBy(() -> new TrainerConfig("x", "resnet20", -1, 0.9, 0, 0, 1, 1, 0))
        .hasMessageContaining("--lr");
    assertThatThrownBy(() -> new TrainerConfig("bad run!", "resnet20", 0.1, 0.9, 0, 0, 1, 1, 0))
        .hasMessageContaining("--run");
  }

  @Test
  void learningRateScalesWithBatchAndWarmsUp() {
    TrainerConfig c = new TrainerConfig("x", "resnet20", 0.1, 0.9, 0, 10, 1, 1, 0);
    assertThat(c.learningRate(9, 256)).isEqualTo(0.1f);
    assertThat(c.learningRate(100, 128)).isEqualTo(0.05f);
    assertThat(c.learningRate(0, 256)).isCloseTo(0.01f, org.assertj.core.data.Offset.offset(1e-6f));
  }
}
