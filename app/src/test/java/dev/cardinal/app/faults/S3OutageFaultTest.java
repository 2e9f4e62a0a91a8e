package dev.cardinal.app.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.embedded.EmbeddedS3;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.evaluator.EvaluatorStage;
import dev.cardinal.trainer.TrainerStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * S3 goes away mid-run (the embedded server stops) and comes back on the same port and folder.
 * Training goes on; the trainer's checkpoint uploads retry and land, each with its manifest written
 * after its objects; the evaluator, which meets the outage on its first checkpoint, waits for S3
 * and scores every checkpoint once it is back. Nothing is given up.
 *
 * <p>The outage lasts until the trainer has crossed two checkpoint boundaries and the evaluator has
 * retried, and at least {@code -Dcardinal.faults.s3OutageSeconds} (default 5; the 30 s adds
 * 25 s to CI and tests nothing more: the retries back off the same way, only for longer).
 */
class S3OutageFaultTest {
  private static final Logger log = LoggerFactory.getLogger(S3OutageFaultTest.class);
  private static final Duration OUTAGE =
      Duration.ofSeconds(Integer.getInteger("cardinal.faults.s3OutageSeconds", 5));
  private static final long STEPS = 80;
  private static final Duration WAIT = Duration.ofMinutes(3);
  private static final String KEY = "outage-key";
  private static final String SECRET = "outage-secret-key";

  @TempDir Path dir;

  @Test
  void checkpointsLandAndAreScoredOnceS3IsBackAndNothingIsGivenUp() throws Exception {
    KafkaSettings kafka = TestServices.freshKafkaWithTopics();
    String run = TestServices.unique("s3-outage");
    Path s3Dir = dir.resolve("s3");
    EmbeddedS3 s3 = EmbeddedS3.start(s3Dir, 0, KEY, SECRET);
    int port = s3.port();
    long stepAtOutage;
    long stepAtReturn;
    long evaluatorRetries;
    try (CheckpointStore store = new CheckpointStore(s3.settings("faults"))) {
      store.ensureBucket();
      try (FaultStages stages = new FaultStages(kafka, store)) {
        stages.startIngest();
        stages.startAugment();
        TrainerStage trainer = stages.startTrainer(FaultStages.run(run, STEPS));
        Await.until(
            WAIT, "checkpoint 10 in S3", () -> store.completeCheckpoints(run).contains(10L));

        long outageStart = System.nanoTime();
        s3.close();
        long atOutage = trainer.step();
        stepAtOutage = atOutage;
        // The evaluator starts during the outage: checkpoint 10 is announced and unreadable.
        EvaluatorStage evaluator = stages.startEvaluator();
        Await.until(
            WAIT,
            "training past two checkpoint boundaries during the outage",
            () -> trainer.step() >= atOutage + 20);
        Await.until(WAIT, "the evaluator retrying S3", () -> evaluator.storeRetries() > 0);
        long left = OUTAGE.toMillis() - (System.nanoTime() - outageStart) / 1_000_000;
        if (left > 0) {
          Thread.sleep(left);
        }
        stepAtReturn = trainer.step();
        s3 = EmbeddedS3.start(s3Dir, port, KEY, SECRET);
        log.info(
            "S3 down from step {} to step {} ({} ms)",
            stepAtOutage,
            stepAtReturn,
            (System.nanoTime() - outageStart) / 1_000_000);

        Await.until(
            WAIT,
            "checkpoint " + STEPS + " in S3",
            () -> store.completeCheckpoints(run).contains(STEPS));
        List<Long> steps = store.completeCheckpoints(run);
        Await.until(
            WAIT,
            "an evaluation of every checkpoint " + steps,
            () -> evaluatedSteps(kafka, run).containsAll(steps));
        evaluatorRetries = evaluator.storeRetries();
      }

      List<Long> steps = store.completeCheckpoints(run);
      for (long s = 10; s <= STEPS; s += 10) {
        assertThat(steps).contains(s);
      }
      assertThat(store.incompleteCheckpoints(run)).as("objects without a manifest").isEmpty();
      // The manifest is what makes a checkpoint exist, so it is written after every object it
      // names, also when an upload was retried: the server's files say in which order.
      for (long s : steps) {
        CheckpointManifest manifest = store.getManifest(run, s);
        Path folder = s3Dir.resolve("faults").resolve(CheckpointStore.checkpointPrefix(run, s));
        FileTime manifestWritten =
            Files.getLastModifiedTime(folder.resolve(CheckpointStore.MANIFEST));
        for (String object : manifest.objects()) {
          assertThat(store.exists(CheckpointStore.checkpointPrefix(run, s) + object))
              .as("object %s of checkpoint %d", object, s)
              .isTrue();
          assertThat(Files.getLastModifiedTime(folder.resolve(object)))
              .as("object %s of checkpoint %d written before its manifest", object, s)
              .isLessThanOrEqualTo(manifestWritten);
        }
      }
      assertThat(FaultStages.deadLetterReasons(kafka, "trainer"))
          .as("checkpoints given up")
          .isEmpty();

      List<EvaluationEvent> evaluations = evaluations(kafka, run);
      assertThat(evaluations)
          .as("evaluations carrying an error")
          .allSatisfy(e -> assertThat(e.result().error()).isNull());
      Map<String, Integer> perId = new HashMap<>();
      evaluations.forEach(e -> perId.merge(e.evaluationId(), 1, Integer::sum));
      assertThat(perId).as("evaluations per id").allSatisfy((id, n) -> assertThat(n).isOne());
      assertThat(evaluatorRetries).isPositive();
      log.info(
          "S3 outage from step {} to {}: checkpoints {} all landed; {} evaluations, none failed;"
              + " the evaluator waited {} times",
          stepAtOutage,
          stepAtReturn,
          steps,
          evaluations.size(),
          evaluatorRetries);
      assertThat(stepAtReturn).as("training went on during the outage").isGreaterThan(stepAtOutage);
    } finally {
      s3.close();
    }
  }

  private static List<EvaluationEvent> evaluations(KafkaSettings kafka, String run) {
    List<EvaluationEvent> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        TestServices.consumeAll(kafka, Topics.EVALUATIONS, Duration.ofSeconds(30))) {
      EvaluationEvent e = Json.fromBytes(r.value(), EvaluationEvent.class);
      if (run.equals(e.runId())) {
        out.add(e);
      }
    }
    return out;
  }

  private static Set<Long> evaluatedSteps(KafkaSettings kafka, String run) {
    Set<Long> steps = new TreeSet<>();
    evaluations(kafka, run).forEach(e -> steps.add(e.step()));
    return steps;
  }
}
