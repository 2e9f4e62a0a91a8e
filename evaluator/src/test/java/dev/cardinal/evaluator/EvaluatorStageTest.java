package dev.cardinal.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.Scores;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.SyntheticImages;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.trainer.model.InputTensors;
import dev.cardinal.trainer.model.ModelPresets;
import dev.cardinal.trainer.model.ParameterIO;
import dev.cardinal.trainer.model.ResNetBuilder;
import dev.cardinal.trainer.model.ResNetSpec;
import dev.cardinal.trainer.testing.BareTraining;
import dev.cardinal.trainer.testing.NativeThreads;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Scoring real checkpoints of a briefly trained ResNet-20 from a real S3 server on eval images from
 * a real broker.
 */
class EvaluatorStageTest {
  private static final int CLASSES = 8;
  private static final int TRAIN_SIZE = 16;
  private static final int EVAL_SIZE = 24;
  private static final int EVAL_IMAGES = 32;
  private static final ResNetSpec SPEC = ModelPresets.get("resnet20").withNumClasses(CLASSES);

  /** Trains at 16 px, tests at 24; 20 in between from epoch 1: evaluated at 16, 20 and 24 px. */
  private static final Schedule SCHEDULE =
      Schedule.parse(
          """
          name: eval-test
          testResolution: 24
          segments:
            - {from: 0, to: 1, trainResolution: 16}
            - {from: 1, trainResolution: 20}
          """,
          "test schedule");

  private static KafkaSettings kafka;
  private static CheckpointStore store;
  private static final List<ImageBatch> EVAL = new ArrayList<>();
  private static NDManager manager;
  private static byte[] params;
  private static byte[] ema;
  private static double trainTop1;

  @BeforeAll
  static void services() {
    kafka = TestServices.freshKafkaWithTopics();
    store = TestServices.checkpointStore();
    try (KafkaSender sender = new KafkaSender(kafka)) {
      for (int b = 0; b < 4; b++) {
        ImageBatch batch = SyntheticImages.batch(1_000 + b * 8L, 8, EVAL_SIZE, CLASSES, 0.5);
        EVAL.add(batch);
        sender.send(Topics.IMAGES_EVAL, null, batch.encode()).block();
      }
      // Another dataset's eval images share the topic (50 classes, labels past this model's 8):
      // every test below scores only the checkpoint's own dataset, or its numbers would be off.
      ImageBatch other = SyntheticImages.batch(9_000, 8, EVAL_SIZE, 50);
      ImageBatch foreign =
          new ImageBatch(
              "another-dataset",
              other.height(),
              other.width(),
              other.channels(),
              50,
              other.sampleIds(),
              java.util.Arrays.stream(other.labels()).map(l -> 49 - l % 10).toArray(),
              null,
              other.pixels(),
              other.stamp());
      sender.send(Topics.IMAGES_EVAL, null, foreign.encode()).block();
    }
    manager = NDManager.newBaseManager();
    long started = System.nanoTime();
    onWorker(
        () -> {
          train();
          return null;
        });
    System.out.printf("trained in %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  @AfterAll
  static void release() {
    manager.close();
    WORKER.shutdownNow();
  }

  /** PyTorch ran several times slower on the JVM's main thread: engine work runs here. */
  private static final ExecutorService WORKER =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "test-djl");
            t.setDaemon(true);
            return t;
          });

  private static <T> T onWorker(Callable<T> work) {
    try {
      return WORKER.submit(work).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * A few SGD steps on the synthetic images at the train resolution; an early snapshot stands in
   * for the EMA weights (another weight set of the same network).
   */
  private static void train() {
    Block block = ResNetBuilder.build(SPEC);
    try (Model model = Model.newInstance("eval-test")) {
      model.setBlock(block);
      try (Trainer trainer = model.newTrainer(BareTraining.plainSgd(0.05f))) {
        trainer.initialize(new Shape(1, 3, TRAIN_SIZE, TRAIN_SIZE));
        int correct = 0;
        int seen = 0;
        for (int step = 0; step < 12; step++) {
          ImageBatch batch = SyntheticImages.batch(step * 32L, 32, TRAIN_SIZE, CLASSES);
          try (NDManager stepManager = trainer.getManager().newSubManager()) {
            NDArray x = InputTensors.images(stepManager, batch);
            NDArray labels = InputTensors.labels(stepManager, batch);
            NDArray logits;
            try (GradientCollector collector = trainer.newGradientCollector()) {
              logits = trainer.forward(new NDList(x)).singletonOrThrow();
              NDArray loss = trainer.getLoss().evaluate(new NDList(labels), new NDList(logits));
              collector.backward(loss);
            }
            trainer.step();
            if (step >= 8) {
              correct +=
                  (int) logits.argMax(1).toType(DataType.INT32, false).eq(labels).sum().getLong();
              seen += batch.size();
            }
          }
          if (step == 5) {
            ema = bytes(block);
          }
        }
        trainTop1 = (double) correct / seen;
        params = bytes(block);
      }
    }
  }

  private static byte[] bytes(Block block) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DataOutputStream data = new DataOutputStream(out)) {
      block.saveParameters(data);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  /** Stores a checkpoint as the trainer does (objects, then the manifest) and its event. */
  private static CheckpointEvent checkpoint(
      String run, long step, Map<String, byte[]> objects, Schedule schedule) {
    String prefix = CheckpointStore.checkpointPrefix(run, step);
    objects.forEach((name, bytes) -> store.putBytes(prefix + name, bytes));
    JsonNode scheduleJson = schedule == null ? null : Json.toTree(schedule);
    Map<String, Double> metrics = Map.of("train_top1", trainTop1, "loss", 1.0);
    CheckpointManifest manifest =
        new CheckpointManifest(
            1,
            run,
            step,
            0,
            0,
            "resnet20",
            Json.toTree(SPEC),
            null,
            scheduleJson,
            schedule == null ? null : Json.toTree(schedule.at(0)),
            Map.of(),
            metrics,
            "synthetic-test",
            null,
            null,
            new ArrayList<>(objects.keySet()),
            0,
            null,
            null);
    store.putManifest(manifest);
    return CheckpointEvent.created(manifest, store.settings().bucket(), prefix);
  }

  /** One score against what the independent per-image computation expects of it. */
  private static void assertScore(
      EvaluationEvent event,
      String name,
      Double actual,
      Map<String, Double> expected,
      double tolerance) {
    assertThat(actual)
        .as(event.evaluationId() + " " + name)
        .isCloseTo(expected.get(name), offset(tolerance));
  }

  private static Block load(byte[] bytes) throws Exception {
    Block block = ResNetBuilder.build(SPEC);
    block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, TRAIN_SIZE, TRAIN_SIZE));
    ParameterIO.load(block, manager, new ByteArrayInputStream(bytes), false);
    return block;
  }

  @Test
  void scoresEveryResolutionAndWeightSetLikeAnIndependentPerImageComputation() throws Exception {
    String run = TestServices.unique("eval");
    CheckpointEvent checkpoint = checkpoint(run, 7, Map.of("params", params, "ema", ema), SCHEDULE);
    // Inference batches of 12 cut across the topic's batches of 8.
    List<EvaluationEvent> events =
        onWorker(() -> new EvaluatorStage(kafka, store, 12).evaluate(checkpoint));
    assertThat(events)
        .extracting(EvaluationEvent::evaluationId)
        .containsExactlyInAnyOrder(
            run + "/7/16/raw",
            run + "/7/20/raw",
            run + "/7/24/raw",
            run + "/7/16/ema",
            run + "/7/20/ema",
            run + "/7/24/ema");
    Map<String, Map<String, Double>> expectations =
        onWorker(
            () -> {
              Map<String, Block> blocks = Map.of("raw", load(params), "ema", load(ema));
              Map<String, Map<String, Double>> out = new HashMap<>();
              for (EvaluationEvent event : events) {
                out.put(
                    event.evaluationId(),
                    PerImageScores.of(
                        manager,
                        blocks.get(event.result().plan().weights()),
                        EVAL,
                        CLASSES,
                        event.result().plan().resolution()));
              }
              return out;
            });
    for (EvaluationEvent event : events) {
      assertThat(event.result().error()).isNull();
      Map<String, Double> expected = expectations.get(event.evaluationId());
      Scores scores = event.result().scores();
      assertThat(scores.images()).isEqualTo(EVAL_IMAGES);
      // Accuracies count the same images; NLL and ECE sum floats in another order.
      assertScore(event, "top1", scores.top1(), expected, 1e-9);
      assertScore(event, "top5", scores.top5(), expected, 1e-9);
      assertScore(event, "nll", scores.nll(), expected, 1e-4);
      assertScore(event, "ece", scores.ece(), expected, 1e-4);
      for (int c = 0; c < CLASSES; c++) {
        assertThat(event.result().scores().perClassAccuracy().get(c))
            .isEqualTo(expected.get("class" + c));
      }
      assertThat(event.result().plan().trainResolution()).isEqualTo(16);
      assertThat(event.result().plan().cropFraction()).isEqualTo(0.875);
      assertThat(event.result().plan().testFlip()).isFalse();
      assertThat(scores.singleViewTop1()).isNull();
      assertThat(event.result().gap().trainTop1()).isEqualTo(trainTop1);
      assertThat(event.result().gap().trainEvalGap())
          .isCloseTo(trainTop1 - event.result().scores().top1(), offset(1e-12));
      assertThat(event.result().regularization().verdict())
          .isIn("over-fitting", "under-fitting", "balanced");
      assertThat(event.result().regularization().reason())
          .startsWith(event.result().regularization().verdict());
    }
    // Best resolution: the highest top-1 of that weight set, ties to the lower NLL.
    for (String weights : List.of("raw", "ema")) {
      List<EvaluationEvent> set =
          events.stream().filter(e -> e.result().plan().weights().equals(weights)).toList();
      EvaluationEvent best =
          set.stream()
              .max(
                  java.util.Comparator.comparingDouble(
                          (EvaluationEvent e) -> e.result().scores().top1())
                      .thenComparingDouble(e -> -e.result().scores().nll()))
              .orElseThrow();
      assertThat(set)
          .allMatch(e -> e.result().bestResolution() == best.result().plan().resolution());
    }
    // The verdict is judged on the raw weights at the train resolution.
    EvaluationEvent reference =
        events.stream()
            .filter(
                e ->
                    e.result().plan().weights().equals("raw")
                        && e.result().plan().resolution() == 16)
            .findFirst()
            .orElseThrow();
    assertThat(reference.result().regularization().evidence().get("gap"))
        .isCloseTo(trainTop1 - reference.result().scores().top1(), offset(1e-12));
    assertThat(reference.result().regularization().evidence().get("resolution")).isEqualTo(16.0);

    // The event reads back equal through the one JSON mapper (per-class nulls included).
    EvaluationEvent back = Json.fromBytes(Json.toBytes(reference), EvaluationEvent.class);
    assertThat(back).isEqualTo(reference);
  }

  @Test
  void withTestFlipEachViewIsAveragedWithItsMirror() throws Exception {
    Schedule flip =
        Schedule.parse(
            """
            name: flip-test
            testResolution: 24
            testFlip: true
            defaults: {trainResolution: 24}
            """,
            "flip schedule");
    String run = TestServices.unique("flip");
    CheckpointEvent checkpoint = checkpoint(run, 3, Map.of("params", params), flip);
    List<EvaluationEvent> events =
        onWorker(() -> new EvaluatorStage(kafka, store, 12).evaluate(checkpoint));
    assertThat(events).extracting(EvaluationEvent::evaluationId).containsExactly(run + "/3/24/raw");
    EvaluationEvent event = events.get(0);
    Map<String, Double> averaged =
        onWorker(() -> PerImageScores.flipAveraged(manager, load(params), EVAL, 24));
    Map<String, Double> single =
        onWorker(() -> PerImageScores.of(manager, load(params), EVAL, CLASSES, 24));
    // The mirror must change the prediction, or this test could not tell a flip from none. A
    // briefly trained network changes it little (its NLL by about 1e-3), so NLL is compared to
    // 1e-5: float sums in another order differ by about 1e-7 here.
    assertThat(averaged.get("nll")).isNotCloseTo(single.get("nll"), offset(1e-4));

    assertThat(event.result().plan().testFlip()).isTrue();
    Scores scores = event.result().scores();
    assertScore(event, "top1", scores.top1(), averaged, 1e-9);
    assertScore(event, "nll", scores.nll(), averaged, 1e-5);
    assertThat(scores.singleViewTop1()).isEqualTo(single.get("top1"));
    assertThat(scores.images()).isEqualTo(EVAL_IMAGES);
    // The train-eval gap and the verdict compare the trainer's one-view top-1 with the image
    // alone, not with the flip's average.
    assertThat(event.result().gap().trainEvalGap())
        .isCloseTo(trainTop1 - single.get("top1"), offset(1e-12));
    assertThat(event.result().regularization().evidence().get("evalTop1"))
        .isEqualTo(single.get("top1"));
  }

  @Test
  void withoutAScheduleScoresTheNativeFullFrame() throws Exception {
    String run = TestServices.unique("native");
    CheckpointEvent checkpoint = checkpoint(run, 1, Map.of("params", params), null);
    List<EvaluationEvent> events =
        onWorker(() -> new EvaluatorStage(kafka, store).evaluate(checkpoint));
    assertThat(events).hasSize(1);
    EvaluationEvent event = events.get(0);
    assertThat(event.evaluationId()).isEqualTo(run + "/1/24/raw");
    assertThat(event.result().plan().cropFraction()).isEqualTo(1.0);
    assertThat(event.result().plan().trainResolution()).isNull();
    assertThat(event.result().bestResolution()).isEqualTo(24);
    // Full frame at the native size is exactly the trainer's input pipeline.
    int correct =
        onWorker(
            () -> {
              Block block = load(params);
              ParameterStore parameters = new ParameterStore(manager, false);
              int hits = 0;
              for (ImageBatch batch : EVAL) {
                try (NDManager sub = manager.newSubManager()) {
                  NDArray logits =
                      block
                          .forward(parameters, new NDList(InputTensors.images(sub, batch)), false)
                          .singletonOrThrow();
                  long[] predicted = logits.argMax(1).toLongArray();
                  for (int i = 0; i < batch.size(); i++) {
                    hits += predicted[i] == batch.labels()[i] ? 1 : 0;
                  }
                }
              }
              return hits;
            });
    assertThat(event.result().scores().top1())
        .isCloseTo(correct / (double) EVAL_IMAGES, offset(1e-9));
  }

  /**
   * Scoring computes on the engine's thread, so the thread that scores starts no OpenMP team of its
   * own (a team's workers carry its name): a second team in the process would slow the trainer's
   * (see EngineThreads).
   */
  @Test
  @EnabledOnOs(OS.LINUX)
  void scoringFromAnyThreadStartsNoOpenMpTeamOnIt() {
    String run = TestServices.unique("team");
    CheckpointEvent checkpoint = checkpoint(run, 3, Map.of("params", params, "ema", ema), SCHEDULE);
    NativeThreads.Outcome<List<EvaluationEvent>> scored =
        NativeThreads.runOnThreadNamed(
            "scores-elsewhere", () -> new EvaluatorStage(kafka, store, 12).evaluate(checkpoint));
    assertThat(scored.value()).hasSize(6).allMatch(event -> event.result().error() == null);
    assertThat(scored.threadsNamedLikeIt()).isEqualTo(1);
  }

  @Test
  void corruptOrMissingObjectsGiveErrorEventsAndDeletedCheckpointsAreSkipped() {
    EvaluatorStage stage = new EvaluatorStage(kafka, store);
    String run = TestServices.unique("corrupt");
    byte[] garbage = "garbage".getBytes(StandardCharsets.UTF_8);

    // Corrupt EMA: the raw weights are still scored, the EMA ones report why not.
    List<EvaluationEvent> events =
        onWorker(
            () ->
                stage.evaluate(checkpoint(run, 1, Map.of("params", params, "ema", garbage), null)));
    Map<String, EvaluationEvent> byWeights =
        events.stream().collect(Collectors.toMap(e -> e.result().plan().weights(), e -> e));
    assertThat(byWeights.get("raw").result().error()).isNull();
    assertThat(byWeights.get("raw").result().scores().top1()).isBetween(0.0, 1.0);
    assertThat(byWeights.get("ema").result().error()).contains("corrupt").contains("ckpt-1/ema");
    assertThat(byWeights.get("ema").result().scores().top1()).isNaN();
    assertThat(byWeights.get("ema").evaluationId()).isEqualTo(run + "/1/24/ema");

    // Corrupt params with a schedule: one error event per resolution.
    CheckpointEvent corruptParams = checkpoint(run, 2, Map.of("params", garbage), SCHEDULE);
    events = onWorker(() -> stage.evaluate(corruptParams));
    assertThat(events).hasSize(3).allMatch(e -> e.result().error().contains("corrupt"));
    assertThat(events).extracting(e -> e.result().plan().resolution()).containsExactly(16, 20, 24);

    // Listed in the manifest but missing from the store.
    CheckpointEvent missing = checkpoint(run, 3, Map.of("params", params, "ema", ema), null);
    store.delete(missing.prefix() + "ema");
    byWeights =
        onWorker(() -> stage.evaluate(missing)).stream()
            .collect(Collectors.toMap(e -> e.result().plan().weights(), e -> e));
    assertThat(byWeights.get("raw").result().error()).isNull();
    assertThat(byWeights.get("ema").result().error()).contains("missing");

    // Deleted by retention: the manifest is gone, nothing to report.
    store.deletePrefix(missing.prefix());
    assertThat(onWorker(() -> stage.evaluate(missing))).isEmpty();
  }

  @Test
  void twoEvaluatorsInOneGroupScoreEachCheckpointExactlyOnce() throws Exception {
    String run = TestServices.unique("group");
    List<CheckpointEvent> checkpoints = new ArrayList<>();
    for (long step = 1; step <= 6; step++) {
      checkpoints.add(checkpoint(run, step * 100, Map.of("params", params), null));
    }
    try (EvaluatorStage a = new EvaluatorStage(kafka, store);
        EvaluatorStage b = new EvaluatorStage(kafka, store);
        KafkaSender sender = new KafkaSender(kafka)) {
      a.start();
      b.start();
      TestServices.awaitGroupMembersHoldingPartitions(kafka, EvaluatorStage.GROUP, 2);
      for (CheckpointEvent event : checkpoints) {
        sender.sendJson(Topics.CHECKPOINTS, event.checkpointId(), event).block();
      }
      // An unreadable event is dead-lettered; a deletion is not scored.
      sender.send(Topics.CHECKPOINTS, null, "{not json".getBytes(StandardCharsets.UTF_8)).block();
      CheckpointEvent first = checkpoints.get(0);
      sender
          .send(
              Topics.CHECKPOINTS,
              first.checkpointId().getBytes(StandardCharsets.UTF_8),
              Json.toBytes(
                  CheckpointEvent.deleted(run, first.step(), first.bucket(), first.prefix(), 0)))
          .block();

      awaitEvaluations(run, checkpoints.size());
      // A duplicate would be scored before a marker sent after everything else on its partition:
      // once every partition's marker is scored, nothing of this run can still be on its way.
      String markers = TestServices.unique("group-marker");
      int partitions = partitionCount(Topics.CHECKPOINTS);
      for (int partition = 0; partition < partitions; partition++) {
        CheckpointEvent marker = checkpoint(markers, partition + 1, Map.of("params", params), null);
        sender
            .send(
                new ProducerRecord<>(
                    Topics.CHECKPOINTS,
                    partition,
                    marker.checkpointId().getBytes(StandardCharsets.UTF_8),
                    Json.toBytes(marker)))
            .block();
      }
      awaitEvaluations(markers, partitions);
      List<EvaluationEvent> found = evaluationsOf(run);
      assertThat(found).extracting(e -> e.result().error()).containsOnlyNulls();
      assertThat(found)
          .extracting(EvaluationEvent::evaluationId)
          .containsExactlyInAnyOrderElementsOf(
              checkpoints.stream().map(c -> c.checkpointId() + "/24/raw").toList());
      // Both instances read the other's results back: later verdicts count earlier checkpoints.
      assertThat(found)
          .allMatch(
              e ->
                  e.result().regularization().evidence() != null
                      && e.result().regularization().evidence().containsKey("gap"));
    }
  }

  @Test
  void aCheckpointRedeliveredAfterItWasScoredIsNotScoredAgain() throws Exception {
    String run = TestServices.unique("redelivered");
    CheckpointEvent scored = checkpoint(run, 100, Map.of("params", params), null);
    CheckpointEvent marker = checkpoint(run, 200, Map.of("params", params), null);
    // One key for all three: one partition, so they are handled in this order.
    byte[] key = scored.checkpointId().getBytes(StandardCharsets.UTF_8);
    try (EvaluatorStage stage = new EvaluatorStage(kafka, store);
        KafkaSender sender = new KafkaSender(kafka)) {
      stage.start();
      sender.send(Topics.CHECKPOINTS, key, Json.toBytes(scored)).block();
      awaitEvaluations(run, 1);
      // As after a rebalance that came before the offset commit: the same event again.
      sender.send(Topics.CHECKPOINTS, key, Json.toBytes(scored)).block();
      sender.send(Topics.CHECKPOINTS, key, Json.toBytes(marker)).block();
      List<EvaluationEvent> found = awaitEvaluations(run, 2);
      assertThat(found)
          .extracting(EvaluationEvent::evaluationId)
          .containsExactly(scored.checkpointId() + "/24/raw", marker.checkpointId() + "/24/raw");
    }
  }

  private static List<EvaluationEvent> awaitEvaluations(String run, int count) {
    return Await.until(
        Duration.ofSeconds(90),
        count + " evaluations of run " + run,
        () -> evaluationsOf(run),
        found -> found.size() >= count);
  }

  private static List<EvaluationEvent> evaluationsOf(String run) {
    return TestServices.consumeAll(kafka, Topics.EVALUATIONS, Duration.ofSeconds(10)).stream()
        .map(r -> Json.fromBytes(r.value(), EvaluationEvent.class))
        .filter(e -> e.runId().equals(run))
        .toList();
  }

  private static int partitionCount(String topic) throws Exception {
    try (Admin admin = Admin.create(kafka.adminProperties())) {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(10, TimeUnit.SECONDS)
          .get(topic)
          .partitions()
          .size();
    }
  }
}
