package dev.cardinal.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.embedded.EmbeddedS3;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import dev.cardinal.trainer.model.ModelPresets;
import dev.cardinal.trainer.model.ParameterIO;
import dev.cardinal.trainer.model.ResNetBuilder;
import dev.cardinal.trainer.model.ResNetSpec;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The trainer against a real broker, a real S3 server and the real DJL engine. */
class TrainerStageTest {
  private static KafkaSettings kafka;
  private static CheckpointStore store;

  @BeforeAll
  static void services() throws Exception {
    kafka = TestServices.freshKafkaWithTopics();
    store = TestServices.checkpointStore();
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

  private static TrainerConfig config(String run, long maxSteps) {
    return TrainerConfig.of(run, "resnet20", Recipe.named("resnet-rs").withEpochs(10, 1), 5)
        .withMetricsEverySteps(5)
        .withMaxSteps(maxSteps)
        .withKeepLast(10)
        .withKeepBest(0);
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
    assertThat(manifest.objects()).containsExactly("params", "ema", "optimizer");
    assertThat(manifest.recentMetrics()).containsKey("loss");
    assertThat(manifest.codeVersion()).isEqualTo(dev.cardinal.core.CodeVersion.get()).contains("+");

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
  void twoRunsTrainSideBySideOnTheSameStream() throws Exception {
    String resnet20 = TestServices.unique("side-a");
    String resnet32 = TestServices.unique("side-b");
    TrainerStage first =
        new TrainerStage(
            config(resnet20, 10).withSchedule(Schedule.preset("fixed-16")), kafka, store);
    TrainerStage second =
        new TrainerStage(
            TrainerConfig.of(resnet32, "resnet32", Recipe.named("baseline").withEpochs(10, 0), 5)
                .withMaxSteps(10)
                .withKeepLast(10)
                .withKeepBest(0),
            kafka,
            store);
    Thread a = new Thread(first, "trainer-" + resnet20);
    Thread b = new Thread(second, "trainer-" + resnet32);
    a.start();
    b.start();
    a.join(120_000);
    b.join(120_000);

    // Each run has its own consumer group, so each sees the whole stream from the start.
    for (String run : List.of(resnet20, resnet32)) {
      assertThat(store.completeCheckpoints(run)).containsExactly(5L, 10L);
      CheckpointManifest manifest = store.getManifest(run, 10);
      assertThat(manifest.offsets().values().stream().mapToLong(Long::longValue).sum())
          .isEqualTo(10);
    }
    CheckpointManifest withSchedule = store.getManifest(resnet20, 10);
    assertThat(withSchedule.model()).isEqualTo("resnet20");
    assertThat(withSchedule.schedule()).isNotNull();
    // The stage in force at the checkpoint, as the last batch was trained with it.
    assertThat(withSchedule.stage().get("trainResolution").asInt()).isEqualTo(16);
    assertThat(withSchedule.stage().has("dropPathRate")).isTrue();
    CheckpointManifest withoutSchedule = store.getManifest(resnet32, 10);
    assertThat(withoutSchedule.model()).isEqualTo("resnet32");
    assertThat(withoutSchedule.stage()).isNull();
    assertThat(withoutSchedule.recipe().get("name").asText()).isEqualTo("baseline");
  }

  @Test
  void resumedRunMatchesAnUninterruptedOne() throws Exception {
    String straight = TestServices.unique("straight");
    new TrainerStage(config(straight, 10), kafka, store).run();
    String resumed = TestServices.unique("resumed");
    new TrainerStage(config(resumed, 5), kafka, store).run();
    new TrainerStage(config(resumed, 10), kafka, store).run();

    ResNetSpec spec = ModelPresets.get("resnet20");
    try (NDManager manager = NDManager.newBaseManager()) {
      float[][] a = parameters(manager, spec, CheckpointStore.checkpointPrefix(straight, 10));
      float[][] b = parameters(manager, spec, CheckpointStore.checkpointPrefix(resumed, 10));
      assertThat(a.length).isEqualTo(b.length);
      double maxDifference = 0;
      for (int i = 0; i < a.length; i++) {
        for (int k = 0; k < a[i].length; k++) {
          maxDifference = Math.max(maxDifference, Math.abs(a[i][k] - b[i][k]));
        }
      }
      assertThat(maxDifference).isLessThan(1e-4);
      // And training did move the weights: the comparison is not between two initializations.
      float[][] early = parameters(manager, spec, CheckpointStore.checkpointPrefix(straight, 5));
      double moved = 0;
      for (int i = 0; i < a.length; i++) {
        for (int k = 0; k < a[i].length; k++) {
          moved = Math.max(moved, Math.abs(a[i][k] - early[i][k]));
        }
      }
      assertThat(moved).isGreaterThan(1e-3);
    }
  }

  private static float[][] parameters(NDManager manager, ResNetSpec spec, String prefix)
      throws Exception {
    Block block = ResNetBuilder.build(spec);
    block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 16, 16));
    try (var in = store.get(prefix + "params")) {
      ParameterIO.load(block, manager, in, false);
    }
    return block.getParameters().values().stream()
        .map(p -> p.getArray().toFloatArray())
        .toArray(float[][]::new);
  }

  @Test
  void checkpointsLandAfterAnS3Outage() throws Exception {
    java.nio.file.Path dir = TestServices.tempDir("s3-outage");
    EmbeddedS3 s3 = EmbeddedS3.start(dir, 0, "key", "secret-key");
    int port = s3.port();
    String run = TestServices.unique("outage");
    try (CheckpointStore flaky = new CheckpointStore(s3.settings("outage"))) {
      flaky.ensureBucket();
      TrainerStage stage =
          new TrainerStage(config(run, 10), kafka, flaky, java.time.Duration.ofMillis(200), 200);
      Thread training = new Thread(stage);
      training.start();
      // S3 goes away once training runs (at start it is needed to find the resume point)...
      Await.until(
          java.time.Duration.ofSeconds(60),
          java.time.Duration.ofMillis(10),
          "the first step",
          () -> stage.step() >= 1);
      s3.close();
      // ...training goes on while it is down...
      Await.until(java.time.Duration.ofSeconds(60), "step 7 with S3 down", () -> stage.step() >= 7);
      assertThat(stage.step()).isGreaterThanOrEqualTo(7);
      // ...and the checkpoints land once it is back.
      s3 = EmbeddedS3.start(dir, port, "key", "secret-key");
      training.join(60_000);
      assertThat(flaky.completeCheckpoints(run)).containsExactly(5L, 10L);
    } finally {
      s3.close();
    }
  }

  @Test
  void noArraysPileUpOverManySteps() {
    Random random = new Random(9);
    byte[] pixels = new byte[8 * 16 * 16 * 3];
    random.nextBytes(pixels);
    ImageBatch batch =
        new ImageBatch(
            "leak",
            16,
            16,
            3,
            10,
            new long[] {0, 1, 2, 3, 4, 5, 6, 7},
            new int[] {0, 1, 2, 3, 4, 5, 6, 7},
            null,
            pixels,
            new ScheduleStamp(0, 0, 8));
    TrainerConfig config =
        config("leak", 0).withSchedule(dev.cardinal.core.schedule.Schedule.preset("resnet-rs"));
    ResNetSpec spec = ModelPresets.get("resnet20").withDropPathRate(0.1).withDropoutRate(0.2);
    try (TrainingSession session =
        TrainingSession.open(config, store, ai.djl.Device.cpu(), spec, batch, null)) {
      for (int step = 0; step < 5; step++) {
        session.trainStep(batch, step, step % 2 == 0);
      }
      int settled = session.liveArrays();
      for (int step = 5; step < 105; step++) {
        session.trainStep(batch, step, step % 2 == 0);
      }
      session.snapshot(105, java.util.Map.of());
      assertThat(session.liveArrays()).isEqualTo(settled);
    }
  }

  @Test
  void badConfigurationFailsBeforeConsuming() {
    Recipe baseline = Recipe.named("baseline");
    assertThatThrownBy(() -> TrainerConfig.of("x", "resnet9000", baseline, 5))
        .hasMessageContaining("unknown model 'resnet9000'");
    assertThatThrownBy(() -> baseline.withBaseLearningRate(-1)).hasMessageContaining("--lr");
    assertThatThrownBy(() -> TrainerConfig.of("bad run!", "resnet20", baseline, 5))
        .hasMessageContaining("--run");
    assertThatThrownBy(() -> Recipe.named("sgdr")).hasMessageContaining("baseline, resnet-rs");
  }

  @Test
  void learningRateScalesWithBatchWarmsUpAndDecays() {
    Recipe cosine = Recipe.named("resnet-rs").withEpochs(100, 10);
    assertThat(cosine.learningRate(0, 256)).isZero();
    assertThat(cosine.learningRate(5, 256)).isCloseTo(0.05f, offset(1e-6f));
    assertThat(cosine.learningRate(10, 256)).isCloseTo(0.1f, offset(1e-6f));
    assertThat(cosine.learningRate(10, 128)).isCloseTo(0.05f, offset(1e-6f));
    assertThat(cosine.learningRate(55, 256)).isCloseTo(0.05f, offset(1e-6f));
    assertThat(cosine.learningRate(100, 256)).isCloseTo(0f, offset(1e-6f));
    Recipe step = Recipe.named("baseline").withEpochs(100, 0);
    assertThat(step.learningRate(49, 256)).isCloseTo(0.1f, offset(1e-6f));
    assertThat(step.learningRate(51, 256)).isCloseTo(0.01f, offset(1e-7f));
    assertThat(step.learningRate(80, 256)).isCloseTo(0.001f, offset(1e-8f));
    assertThat(cosine.emaDecayAt(0)).isCloseTo(0.1, offset(1e-9));
    assertThat(cosine.emaDecayAt(1_000_000)).isCloseTo(0.9999, offset(1e-9));
  }
}
