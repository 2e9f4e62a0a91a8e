package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.OVER_FITTING_REASON;
import static dev.cardinal.registry.Fixtures.await;
import static dev.cardinal.registry.Fixtures.checkpoint;
import static dev.cardinal.registry.Fixtures.detailedEvaluation;
import static dev.cardinal.registry.Fixtures.evaluation;
import static dev.cardinal.registry.Fixtures.failedEvaluation;
import static dev.cardinal.registry.Fixtures.get;
import static dev.cardinal.registry.Fixtures.json;
import static dev.cardinal.registry.Fixtures.sweepPoint;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.Resources;
import dev.cardinal.core.Topics;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestServices;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The registry fed through the real broker: store materialization, dead letters, SSE, rebuild. */
class RegistryKafkaTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static KafkaSender sender;

  @RegisterExtension static final TestRegistry registry = new TestRegistry("registry-kafka");

  @BeforeAll
  static void start() {
    sender = new KafkaSender(TestServices.kafka());
  }

  @AfterAll
  static void stop() {
    Resources.close(sender);
  }

  private static void publish(CheckpointEvent e) {
    sender.send(Topics.CHECKPOINTS, bytes(e.checkpointId()), Json.toBytes(e)).block(WAIT);
  }

  private static void publish(EvaluationEvent e) {
    sender.send(Topics.EVALUATIONS, bytes(e.checkpointId()), Json.toBytes(e)).block(WAIT);
  }

  private static void publish(SweepEvent e) {
    sender.send(Topics.SWEEPS, bytes(e.sweepId()), Json.toBytes(e)).block(WAIT);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static JsonNode checkpoints(String run) {
    return json(get(registry.port(), "/api/checkpoints?includeDeleted=true&run=" + run));
  }

  /**
   * Waits until the run lists {@code count} checkpoints, the oldest with {@code
   * evaluationsOfOldest} evaluations, and returns that list (newest first).
   */
  private static JsonNode awaitCheckpoints(String run, int count, int evaluationsOfOldest) {
    return Await.until(
        WAIT,
        run
            + ": "
            + count
            + " checkpoints, the oldest with "
            + evaluationsOfOldest
            + " evaluations",
        () -> checkpoints(run),
        list ->
            list.size() == count
                && list.get(count - 1).get("evaluations").size() == evaluationsOfOldest);
  }

  @Test
  void publishedEventsAppearInTheApi() {
    String run = TestServices.unique("kafka-run");
    Fixtures.checkpoints(run, 100, 200).forEach(RegistryKafkaTest::publish);
    publish(evaluation(run, 100, 224, "ema", 0.66));
    publish(evaluation(run, 100, 224, "ema", 0.66));

    JsonNode list = awaitCheckpoints(run, 2, 1);
    assertThat(list.get(0).get("step").asLong()).isEqualTo(200);
    assertThat(list.get(1).get("evaluations").get(0).get("top1").asDouble()).isEqualTo(0.66);

    publish(
        checkpoint(
            run, 100, System.currentTimeMillis(), "resnet20_cifar", CheckpointEvent.DELETED));
    await("the deletion", WAIT, () -> checkpoints(run).get(1).get("deleted").asBoolean());
    assertThat(json(get(registry.port(), "/api/checkpoints?run=" + run))).hasSize(1);
  }

  @Test
  void badRecordsGoToTheDeadLetterTopicAndTheStreamGoesOn() {
    String run = TestServices.unique("dlq-run");
    byte[] garbage = bytes("{\"not\": \"a checkpoint\", \"marker\": \"" + run + "\"}");
    sender.send(Topics.CHECKPOINTS, bytes(run), garbage).block(WAIT);
    publish(checkpoint(run, 1, System.currentTimeMillis()));

    await("the good event after the bad one", WAIT, () -> checkpoints(run).size() == 1);
    await("the dead letter", WAIT, () -> !deadLetters(run).isEmpty());
    ConsumerRecord<byte[], byte[]> dead = deadLetters(run).get(0);
    String reason =
        new String(
            dead.headers().lastHeader(DeadLetters.REASON_HEADER).value(), StandardCharsets.UTF_8);
    assertThat(reason).contains("CheckpointEvent");
    assertThat(get(registry.port(), "/metrics").body())
        .containsPattern(
            "cardinal_registry_events_consumed_total\\{outcome=\"dead_letter\",topic=\"cardinal.checkpoints\"\\} [1-9]");
  }

  @Test
  void aSweepAndItsRunsEvaluationsAnswerTheStudy() {
    String sweep = TestServices.unique("study");
    for (Fixtures.Published p : Fixtures.twoPointStudy(sweep, System.currentTimeMillis())) {
      sender.send(p.topic(), bytes(p.key()), Json.toBytes(p.event())).block(WAIT);
    }

    await(
        "both points done and scored",
        WAIT,
        () -> {
          JsonNode s = json(get(registry.port(), "/api/sweeps/" + sweep));
          return s.has("points")
              && s.get("state").asText().equals("done")
              && s.get("points").get(1).path("checkpointsScored").asInt() == 3
              && s.get("points").get(0).path("checkpointsScored").asInt() == 3;
        });
    JsonNode listed = null;
    for (JsonNode s : json(get(registry.port(), "/api/sweeps"))) {
      listed = s.get("sweepId").asText().equals(sweep) ? s : listed;
    }
    assertThat(listed).as("GET /api/sweeps lists the sweep").isNotNull();
    assertThat(listed.get("pointCount").asInt()).isEqualTo(2);
    assertThat(listed.get("pointsDone").asInt()).isEqualTo(2);
    assertThat(listed.get("dataset").asText()).isEqualTo("fashion-mnist");
    assertThat(listed.get("budgetSamples").asLong()).isEqualTo(50_000);

    JsonNode points = json(get(registry.port(), "/api/sweeps/" + sweep)).get("points");
    assertThat(points).hasSize(2);
    JsonNode w1 = points.get(0);
    assertThat(w1.get("pointId").asText()).isEqualTo("w1");
    assertThat(w1.get("macs").asLong())
        .as("the repeated definition changed nothing")
        .isEqualTo(40_000_000);
    assertThat(w1.get("bestTop1").get("raw").asDouble()).isCloseTo(0.62, within(1e-12));
    assertThat(w1.get("bestTop1").get("ema").asDouble()).isCloseTo(0.57, within(1e-12));
    assertThat(w1.get("trainImagesPerSecond").asDouble()).isEqualTo(500.0);
    assertThat(w1.get("trainSeconds").asDouble()).isEqualTo(100.0);
    assertThat(w1.get("gap").asDouble()).isEqualTo(0.06);
    assertThat(w1.get("gapHistory")).hasSize(3);
    assertThat(w1.get("recommendation").get("rules").get(0).asText()).isEqualTo("over-fitting");
    assertThat(w1.get("recommendation").get("advice").asText())
        .isEqualTo(
            "over-fitting at the depth of resnet20_cifar: scale depth no further, add regularization");
    JsonNode w2 = points.get(1);
    assertThat(w2.get("macs").asLong()).isEqualTo(160_000_000);
    assertThat(w2.get("bestTop1").get("raw").asDouble()).isEqualTo(0.64);
    assertThat(w2.has("bestTop1") && !w2.get("bestTop1").has("ema")).isTrue();
    assertThat(w2.get("trainImagesPerSecond").asDouble())
        .as("a progress event without a rate keeps the last measured one")
        .isEqualTo(100.0);
    assertThat(w2.get("recommendation").get("advice").asText())
        .isEqualTo("short regime, under-fitting: widen before deepening");
    // w2 is better for more MACs and more time: both points are on both fronts.
    assertThat(w1.get("paretoMacs").asBoolean()).isTrue();
    assertThat(w2.get("paretoMacs").asBoolean()).isTrue();
    assertThat(w2.get("paretoTime").asBoolean()).isTrue();

    publish(SweepEvent.lifecycle(sweep, SweepEvent.STOP_REQUESTED, "stopped by a test"));
    await(
        "the stop request",
        WAIT,
        () ->
            json(get(registry.port(), "/api/sweeps/" + sweep))
                .get("state")
                .asText()
                .equals("stop-requested"));

    HttpResponse<String> missing = get(registry.port(), "/api/sweeps/no-such-sweep");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(json(missing).get("error").asText()).contains("no sweep no-such-sweep");
    assertThat(get(registry.port(), "/api/sweeps/" + sweep + "?verbose=1").statusCode())
        .isEqualTo(400);
  }

  @Test
  void aBadSweepRecordGoesToTheDeadLetterTopicAndTheSweepsGoOn() {
    String sweep = TestServices.unique("bad-sweep");
    sender.send(Topics.SWEEPS, bytes(sweep), bytes("{\"garbage\": \"" + sweep + "\"}")).block(WAIT);
    // Valid JSON that breaks the fold's rules: a point with no run.
    SweepPoint runless = sweepPoint(sweep, "p", 1, 1).withRunId(null);
    publish(SweepEvent.defined(sweep, List.of(runless), 10, "marker-" + sweep));
    publish(SweepEvent.defined(sweep, List.of(sweepPoint(sweep, "p", 1, 1)), 10, "good"));

    await(
        "the good sweep after the bad records",
        WAIT,
        () -> get(registry.port(), "/api/sweeps/" + sweep).statusCode() == 200);
    assertThat(json(get(registry.port(), "/api/sweeps/" + sweep)).get("points")).hasSize(1);
    await("both dead letters", WAIT, () -> deadLetters(sweep).size() == 2);
    List<String> reasons =
        deadLetters(sweep).stream()
            .map(
                r ->
                    new String(
                        r.headers().lastHeader(DeadLetters.REASON_HEADER).value(),
                        StandardCharsets.UTF_8))
            .toList();
    assertThat(reasons).anyMatch(r -> r.contains("SweepEvent"));
    assertThat(reasons).anyMatch(r -> r.contains("point runId"));
  }

  private static List<ConsumerRecord<byte[], byte[]>> deadLetters(String marker) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        TestServices.consumeAll(TestServices.kafka(), Topics.deadLetters("registry"), WAIT)) {
      if (r.value() != null && new String(r.value(), StandardCharsets.UTF_8).contains(marker)) {
        out.add(r);
      }
    }
    return out;
  }

  @Test
  void streamDeliversPublishedMetricsAndNewClientsGetTheHistoryFirst() throws Exception {
    String run = TestServices.unique("sse-run");
    try (SseReader first = new SseReader(registry.port())) {
      assertThat(first.next("history")).isNotNull();
      await(
          "the SSE client to be counted",
          WAIT,
          () ->
              get(registry.port(), "/metrics")
                  .body()
                  .contains("cardinal_registry_sse_clients 1.0"));

      MetricEvent event = MetricEvent.now("trainer", run, 42, Map.of("loss", 1.25, "lr", 0.1));
      sender.send(Topics.METRICS, bytes(run), Json.toBytes(event)).block(WAIT);

      String data = first.nextContaining("metric", run);
      MetricEvent received = Json.fromBytes(bytes(data), MetricEvent.class);
      assertThat(received.runId()).isEqualTo(run);
      assertThat(received.step()).isEqualTo(42);
      assertThat(received.values()).containsEntry("loss", 1.25);
    }
    try (SseReader late = new SseReader(registry.port())) {
      JsonNode history = Json.MAPPER.readTree(late.next("history"));
      JsonNode loss = null;
      for (JsonNode s : history) {
        if (run.equals(s.path("run").asText()) && s.get("metric").asText().equals("loss")) {
          loss = s;
        }
      }
      assertThat(loss).as("history holds the run's loss series").isNotNull();
      assertThat(loss.get("steps").get(0).asLong()).isEqualTo(42);
      assertThat(loss.get("values").get(0).asDouble()).isEqualTo(1.25);
    }
  }

  @Test
  void rebuildReplaysTheTopicsIntoAnEmptyStore() {
    String run = TestServices.unique("rebuild-run");
    publish(checkpoint(run, 7, System.currentTimeMillis()));
    publish(evaluation(run, 7, 160, "raw", 0.5));
    // Every optional field, a failed evaluation, and one delivered twice, through the topic.
    publish(detailedEvaluation(run, 7, 224, "raw", 0.6, 224));
    publish(detailedEvaluation(run, 7, 224, "raw", 0.6, 224));
    publish(failedEvaluation(run, 7, 224, "ema", "ema weights missing"));
    JsonNode before = awaitCheckpoints(run, 1, 3).get(0);
    assertThat(before.get("verdictReason").asText()).isEqualTo(OVER_FITTING_REASON);
    JsonNode detailed = before.get("evaluations").get(2);
    assertThat(detailed.get("ece").asDouble()).isEqualTo(0.01 + 224 / 10_000.0);
    assertThat(detailed.get("perClassAccuracy").get(2).isNull()).isTrue();
    assertThat(detailed.get("verdictEvidence").get("gap").asDouble()).isEqualTo(0.08);
    assertThat(before.get("evaluations").get(1).get("error").asText())
        .isEqualTo("ema weights missing");

    registry.restartWithRebuild();
    assertThat(awaitCheckpoints(run, 1, 3).get(0))
        .as("re-reading the topics reproduces the same rows, optional fields included")
        .isEqualTo(before);
  }

  /** Reads a Server-Sent Events stream on a background thread. */
  static final class SseReader implements AutoCloseable {
    private final BlockingQueue<String[]> events = new LinkedBlockingQueue<>();
    private final InputStream body;
    private final Thread thread;

    SseReader(int port) throws Exception {
      HttpResponse<InputStream> response =
          Fixtures.HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/stream"))
                  .header("Accept", "text/event-stream")
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type").orElseThrow())
          .startsWith("text/event-stream");
      body = response.body();
      thread = new Thread(this::read, "sse-reader");
      thread.setDaemon(true);
      thread.start();
    }

    private void read() {
      try (var lines =
          new java.io.BufferedReader(new java.io.InputStreamReader(body, StandardCharsets.UTF_8))) {
        String name = "message";
        StringBuilder data = new StringBuilder();
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          if (line.isEmpty()) {
            if (data.length() > 0) {
              events.add(new String[] {name, data.toString()});
            }
            name = "message";
            data.setLength(0);
          } else if (line.startsWith("event:")) {
            name = line.substring(6).trim();
          } else if (line.startsWith("data:")) {
            data.append(line.substring(5).trim());
          }
        }
      } catch (java.io.IOException e) {
        // Closed by the test.
      }
    }

    String next(String name) throws InterruptedException {
      return nextContaining(name, "");
    }

    String nextContaining(String name, String text) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        String[] event = events.poll(200, TimeUnit.MILLISECONDS);
        if (event != null && event[0].equals(name) && event[1].contains(text)) {
          return event[1];
        }
      }
      throw new AssertionError("no '" + name + "' event containing '" + text + "' within " + WAIT);
    }

    @Override
    public void close() throws Exception {
      body.close();
      thread.join(5000);
    }
  }
}
