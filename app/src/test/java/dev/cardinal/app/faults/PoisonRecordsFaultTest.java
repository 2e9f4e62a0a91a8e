package dev.cardinal.app.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.SyntheticImages;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import dev.cardinal.registry.RegistryServer;
import dev.cardinal.trainer.TrainerStage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Poison produced raw (a plain producer, no stage code) onto every topic a stage consumes, while
 * the whole pipeline runs: garbage bytes, a batch with a valid header claiming 2^31-1 classes, and
 * a record of several MiB. Every consumer dead-letters each with its reason (the registry counts
 * bad metrics instead: every instance reads every metric), and the pipeline goes on: the run trains
 * to its last step, each checkpoint is scored once and listed, and the data shows no sample trained
 * twice or skipped. The stages' own tests cover each kind in detail; this is the pipeline-wide
 * guarantee.
 */
class PoisonRecordsFaultTest {
  private static final Logger log = LoggerFactory.getLogger(PoisonRecordsFaultTest.class);
  private static final Duration WAIT = Duration.ofMinutes(4);
  private static final int CLASSES_FIELD = 24;
  private static final int OVERSIZED = 4 * 1024 * 1024;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static final List<String> IMAGE_TOPICS =
      List.of(Topics.IMAGES_TRAIN, Topics.IMAGES_AUGMENTED, Topics.IMAGES_EVAL);
  private static final List<String> EVENT_TOPICS =
      List.of(Topics.CHECKPOINTS, Topics.EVALUATIONS, Topics.METRICS);

  @TempDir Path dir;

  /** Poison of each kind for a topic, keyed {@code topic/kind}. */
  private static Map<String, byte[]> poison(String topic) {
    Random random = new Random(topic.hashCode());
    byte[] garbage = new byte[1024];
    random.nextBytes(garbage);
    Map<String, byte[]> out = new LinkedHashMap<>();
    out.put(topic + "/garbage", garbage);
    if (IMAGE_TOPICS.contains(topic)) {
      ImageBatch valid =
          SyntheticImages.batch(0, 4, FaultStages.SIZE, FaultStages.CLASSES)
              .withStamp(new ScheduleStamp(0, 0, FaultStages.TRAIN_IMAGES));
      byte[] crafted = valid.encode();
      ByteBuffer.wrap(crafted).putInt(CLASSES_FIELD, Integer.MAX_VALUE);
      out.put(topic + "/classes-2^31-1", crafted);
      // A batch's magic, then a negative count and nonsense: no stream position, no body.
      byte[] big = new byte[OVERSIZED];
      Arrays.fill(big, (byte) 0xFF);
      ByteBuffer.wrap(big).putInt(0, ImageBatch.MAGIC);
      out.put(topic + "/oversized", big);
    } else {
      out.put(topic + "/no-fields", "{\"schemaVersion\":1}".getBytes(StandardCharsets.UTF_8));
      byte[] big = new byte[OVERSIZED];
      Arrays.fill(big, (byte) '[');
      out.put(topic + "/oversized", big);
    }
    return out;
  }

  @Test
  void everyStageDeadLettersPoisonWithAReasonAndThePipelineGoesOn() throws Exception {
    KafkaSettings kafka = TestServices.freshKafkaWithTopics();
    String run = TestServices.unique("poison");
    Map<String, byte[]> produced = new LinkedHashMap<>();
    long awaited;
    try (CheckpointStore store = new CheckpointStore(TestServices.s3())) {
      try (FaultStages stages = new FaultStages(kafka, store)) {
        RegistryServer registry = stages.startRegistry(dir);
        stages.startEvaluator();
        stages.startIngest();
        stages.startAugment();
        // Trains until stopped: it must still be training when the poison comes.
        TrainerStage trainer = stages.startTrainer(FaultStages.run(run, 0));
        Await.until(WAIT, "checkpoint 10 scored", () -> scoredSteps(kafka, run).contains(10L));

        try (KafkaSender raw = new KafkaSender(kafka)) {
          for (String topic : concat(IMAGE_TOPICS, EVENT_TOPICS)) {
            for (Map.Entry<String, byte[]> p : poison(topic).entrySet()) {
              raw.send(topic, p.getKey().getBytes(StandardCharsets.UTF_8), p.getValue()).block();
              produced.put(p.getKey(), p.getValue());
            }
          }
        }
        long stepAtPoison = trainer.step();

        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("augment", keys(produced, Topics.IMAGES_TRAIN));
        expected.put("trainer", keys(produced, Topics.IMAGES_AUGMENTED));
        expected.put(
            "evaluator",
            concat(keys(produced, Topics.IMAGES_EVAL), keys(produced, Topics.CHECKPOINTS)));
        expected.put(
            "registry",
            concat(keys(produced, Topics.CHECKPOINTS), keys(produced, Topics.EVALUATIONS)));
        Map<String, Map<String, String>> reasons = new HashMap<>();
        for (Map.Entry<String, List<String>> stage : expected.entrySet()) {
          Await.until(
              WAIT,
              "the " + stage.getKey() + " dead letters " + stage.getValue(),
              () -> {
                reasons.put(stage.getKey(), FaultStages.deadLetterReasons(kafka, stage.getKey()));
                return reasons.get(stage.getKey()).keySet().containsAll(stage.getValue());
              });
        }
        Await.until(
            WAIT,
            "the registry counting 3 bad metric records",
            () -> consumed(registry, "invalid", Topics.METRICS) >= 3);

        // The pipeline goes on: a checkpoint two boundaries after the poison is scored and
        // listed by the registry.
        long after = (stepAtPoison / 10 + 2) * 10;
        awaited = after;
        Await.until(
            WAIT, "checkpoint " + after + " scored", () -> scoredSteps(kafka, run).contains(after));
        Await.until(
            WAIT,
            "checkpoint " + after + " listed with its scores",
            () -> listed(registry, run, after));
        log.info("Poison at step {}; checkpoint {} scored and listed", stepAtPoison, after);

        for (Map.Entry<String, List<String>> stage : expected.entrySet()) {
          Map<String, String> got = reasons.get(stage.getKey());
          assertThat(got.keySet())
              .as("%s dead letters", stage.getKey())
              .containsExactlyInAnyOrderElementsOf(stage.getValue());
          assertThat(got.values())
              .as("%s reasons", stage.getKey())
              .allSatisfy(r -> assertThat(r).isNotBlank());
          log.info("{} dead-lettered {}", stage.getKey(), got);
        }
        assertThat(consumed(registry, "invalid", Topics.METRICS)).isEqualTo(3);
      }

      // Nothing accepted was lost or repeated on the way (the stop saved a last checkpoint).
      List<Long> steps = store.completeCheckpoints(run);
      long last = steps.get(steps.size() - 1);
      List<EvaluationEvent> evaluations = evaluations(kafka, run);
      Map<String, Integer> perId = new HashMap<>();
      evaluations.forEach(e -> perId.merge(e.evaluationId(), 1, Integer::sum));
      assertThat(perId).allSatisfy((id, n) -> assertThat(n).as(id).isOne());
      assertThat(evaluations).allSatisfy(e -> assertThat(e.result().error()).isNull());
      // Every checkpoint up to the one awaited is scored; later ones may have come in the moments
      // before the stop, with no evaluator left to score them.
      for (long s = 10; s <= awaited; s += 10) {
        assertThat(scoredSteps(kafka, run)).contains(s);
      }
      Map<Integer, Integer> perEpoch =
          FaultStages.assertEachSampleOncePerEpoch(kafka, store.getManifest(run, last));
      log.info("Poison run: {} steps, samples trained per epoch {}", last, perEpoch);
    }
  }

  private static List<String> keys(Map<String, byte[]> produced, String topic) {
    return produced.keySet().stream().filter(k -> k.startsWith(topic + "/")).toList();
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static List<EvaluationEvent> evaluations(KafkaSettings kafka, String run) {
    List<EvaluationEvent> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        TestServices.consumeAll(kafka, Topics.EVALUATIONS, Duration.ofSeconds(30))) {
      try {
        EvaluationEvent e = Json.fromBytes(r.value(), EvaluationEvent.class);
        if (run.equals(e.runId())) {
          out.add(e);
        }
      } catch (RuntimeException poison) {
        // One of ours.
      }
    }
    return out;
  }

  private static List<Long> scoredSteps(KafkaSettings kafka, String run) {
    return evaluations(kafka, run).stream().map(EvaluationEvent::step).toList();
  }

  private static double consumed(RegistryServer registry, String outcome, String topic) {
    Matcher m =
        Pattern.compile(
                "cardinal_registry_events_consumed_total\\{[^}]*outcome=\""
                    + outcome
                    + "\"[^}]*topic=\""
                    + Pattern.quote(topic)
                    + "\"[^}]*\\} ([0-9.eE+]+)")
            .matcher(registry.meterRegistry().scrape());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static boolean listed(RegistryServer registry, String run, long step) {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:" + registry.port() + "/api/checkpoints?run=" + run))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        return false;
      }
      for (JsonNode checkpoint : Json.MAPPER.readTree(response.body())) {
        if (checkpoint.get("step").asLong() == step && !checkpoint.get("evaluations").isEmpty()) {
          return true;
        }
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }
}
