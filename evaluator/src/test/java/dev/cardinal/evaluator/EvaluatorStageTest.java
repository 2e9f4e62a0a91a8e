package dev.cardinal.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.TopicAdmin;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import dev.cardinal.trainer.model.InputTensors;
import dev.cardinal.trainer.model.ModelPresets;
import dev.cardinal.trainer.model.ResNetBuilder;
import dev.cardinal.trainer.model.ResNetSpec;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Scoring real checkpoints from a real S3 server on eval images from a real broker. */
class EvaluatorStageTest {
  private static final int SIZE = 16;
  private static KafkaSettings kafka;
  private static CheckpointStore store;
  private static final List<ImageBatch> EVAL = new ArrayList<>();
  private static final ResNetSpec SPEC = ModelPresets.get("resnet20").withClasses(4);

  @BeforeAll
  static void services() {
    kafka = TestServices.freshKafka();
    TopicAdmin.ensureTopics(kafka);
    store = new CheckpointStore(TestServices.s3());
    Random random = new Random(5);
    try (KafkaSender sender = new KafkaSender(kafka)) {
      for (int b = 0; b < 3; b++) {
        int n = 10;
        byte[] pixels = new byte[n * SIZE * SIZE * 3];
        random.nextBytes(pixels);
        long[] ids = new long[n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
          ids[i] = b * n + i;
          labels[i] = random.nextInt(4);
        }
        ImageBatch batch =
            new ImageBatch(
                "eval",
                SIZE,
                SIZE,
                3,
                4,
                ids,
                labels,
                null,
                pixels,
                new ScheduleStamp(0, b * n, 30));
        EVAL.add(batch);
        sender.send(Topics.IMAGES_EVAL, null, batch.encode()).block();
      }
    }
  }

  /** Writes randomly initialized parameters as a checkpoint, as the trainer would. */
  private static CheckpointEvent checkpoint(String run, long step, Block block) {
    String prefix = CheckpointStore.checkpointPrefix(run, step);
    store.put(prefix + "params", out -> block.saveParameters(new DataOutputStream(out)));
    store.putManifest(
        new CheckpointManifest(
            1,
            run,
            step,
            0,
            0,
            "resnet20",
            Json.toTree(SPEC),
            null,
            null,
            Map.of(),
            Map.of(),
            "eval",
            null,
            null,
            List.of("params"),
            0));
    return new CheckpointEvent(
        1,
        CheckpointEvent.CREATED,
        run,
        step,
        0,
        0,
        store.settings().bucket(),
        prefix,
        "resnet20",
        Json.toTree(SPEC),
        null,
        Map.of(),
        0);
  }

  @Test
  void scoresEqualAnIndependentPerImageComputation() {
    try (NDManager manager = NDManager.newBaseManager()) {
      Block block = ResNetBuilder.build(SPEC);
      block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, SIZE, SIZE));
      String run = TestServices.unique("eval");
      List<EvaluationEvent> events =
          new EvaluatorStage(kafka, store).evaluate(checkpoint(run, 7, block));
      assertThat(events).hasSize(1);
      EvaluationEvent event = events.get(0);
      assertThat(event.error()).isNull();
      assertThat(event.evaluationId()).isEqualTo(run + "/7/16/raw");
      assertThat(event.images()).isEqualTo(30);

      // Independently: one image at a time, argmax and log-softmax by the engine.
      ParameterStore parameters = new ParameterStore(manager, false);
      int correct = 0;
      double nll = 0;
      for (ImageBatch batch : EVAL) {
        for (int i = 0; i < batch.size(); i++) {
          byte[] one =
              java.util.Arrays.copyOfRange(
                  batch.pixels(), i * batch.imageBytes(), (i + 1) * batch.imageBytes());
          ImageBatch single =
              new ImageBatch(
                  "eval",
                  SIZE,
                  SIZE,
                  3,
                  4,
                  new long[] {0},
                  new int[] {batch.labels()[i]},
                  null,
                  one,
                  batch.stamp());
          NDArray logits =
              block
                  .forward(parameters, new NDList(InputTensors.images(manager, single)), false)
                  .singletonOrThrow();
          if (logits.argMax(1).getLong() == batch.labels()[i]) {
            correct++;
          }
          nll -= logits.logSoftmax(1).getFloat(0, batch.labels()[i]);
        }
      }
      assertThat(event.top1()).isCloseTo(correct / 30.0, offset(1e-9));
      assertThat(event.nll()).isCloseTo(nll / 30, offset(1e-4));
    }
  }

  @Test
  void corruptParametersGiveAnErrorEventAndDeletedCheckpointsAreSkipped() {
    try (NDManager manager = NDManager.newBaseManager()) {
      Block block = ResNetBuilder.build(SPEC);
      block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, SIZE, SIZE));
      String run = TestServices.unique("corrupt");
      CheckpointEvent event = checkpoint(run, 3, block);
      store.putBytes(event.prefix() + "params", "garbage".getBytes(StandardCharsets.UTF_8));
      EvaluatorStage stage = new EvaluatorStage(kafka, store);
      List<EvaluationEvent> events = stage.evaluate(event);
      assertThat(events).hasSize(1);
      assertThat(events.get(0).error()).contains("corrupt");
      assertThat(events.get(0).top1()).isNaN();

      store.deletePrefix(event.prefix());
      assertThat(stage.evaluate(event)).isEmpty();
    }
  }

  @Test
  void evaluatesAnnouncedCheckpointsThroughKafka() throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      Block block = ResNetBuilder.build(SPEC);
      block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, SIZE, SIZE));
      String run = TestServices.unique("stream");
      CheckpointEvent event = checkpoint(run, 11, block);
      try (EvaluatorStage stage = new EvaluatorStage(kafka, store);
          KafkaSender sender = new KafkaSender(kafka)) {
        stage.start();
        sender
            .send(
                Topics.CHECKPOINTS,
                event.checkpointId().getBytes(StandardCharsets.UTF_8),
                Json.toBytes(event))
            .block();
        sender.send(Topics.CHECKPOINTS, null, "{not json".getBytes(StandardCharsets.UTF_8)).block();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        List<EvaluationEvent> found = List.of();
        while (found.isEmpty() && System.nanoTime() < deadline) {
          found =
              TestServices.consumeAll(kafka, Topics.EVALUATIONS, Duration.ofSeconds(10)).stream()
                  .map(r -> Json.fromBytes(r.value(), EvaluationEvent.class))
                  .filter(e -> e.runId().equals(run))
                  .toList();
          Thread.sleep(200);
        }
        assertThat(found).hasSize(1);
        assertThat(found.get(0).step()).isEqualTo(11);
        assertThat(found.get(0).top1()).isBetween(0.0, 1.0);
      }
    }
  }
}
