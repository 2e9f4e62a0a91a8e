package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.OVER_FITTING_REASON;
import static dev.cardinal.registry.Fixtures.checkpoint;
import static dev.cardinal.registry.Fixtures.detailedEvaluation;
import static dev.cardinal.registry.Fixtures.evaluation;
import static dev.cardinal.registry.Fixtures.failedEvaluation;
import static dev.cardinal.registry.Fixtures.get;
import static dev.cardinal.registry.Fixtures.json;
import static dev.cardinal.registry.Fixtures.registryConfig;
import static dev.cardinal.registry.Fixtures.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.testing.TestServices;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The REST contract against a real server on a free registry.port(), fed through its store. */
class RegistryHttpTest {
  /** What an evaluation carries besides its scores when the evaluator knew it. */
  private static final List<String> OPTIONAL_EVALUATION_FIELDS =
      List.of(
          "ece",
          "perClassAccuracy",
          "trainResolution",
          "cropFraction",
          "trainTop1",
          "trainEvalGap",
          "bestResolution",
          "verdict",
          "verdictReason",
          "verdictEvidence",
          "error");

  private static final String TOKEN = "test-admin-token-0123456789abcdef";

  @RegisterExtension static final TestRegistry registry = new TestRegistry("registry-http", TOKEN);

  private static String runA;
  private static String runB;
  private static String runC;

  @BeforeAll
  static void start() {
    runA = TestServices.unique("run-a");
    runB = TestServices.unique("run-b");
    runC = TestServices.unique("run-c");
    // Far-future creation times keep these rows first in the newest-first list even though other
    // tests' events reach the shared broker, and so this server's store.
    long t = 4_000_000_000_000L;
    registry
        .server()
        .store()
        .applyAll(
            List.of(
                checkpoint(runA, 100, t + 1),
                checkpoint(runA, 200, t + 2),
                checkpoint(runB, 150, t + 3, "resnet50", CheckpointEvent.CREATED),
                checkpoint(runA, 300, t + 4),
                evaluation(runA, 100, 224, "ema", 0.81),
                evaluation(runA, 100, 224, "raw", 0.79),
                evaluation(runA, 200, 224, "ema", 0.78),
                // Created after the since/until window other tests query.
                checkpoint(runC, 100, t + 10),
                detailedEvaluation(runC, 100, 160, "raw", 0.82, 160),
                detailedEvaluation(runC, 100, 224, "raw", 0.80, 160),
                detailedEvaluation(runC, 100, 160, "ema", 0.84, 160),
                failedEvaluation(runC, 100, 224, "ema", "ema weights missing")));
  }

  @Test
  void theScheduleOfACheckpointIsSampledByCoresSchedule() {
    String run = TestServices.unique("run-schedule");
    Schedule schedule =
        Schedule.parse(
            """
            name: ramp
            testResolution: 224
            segments:
              - {from: 0, to: 10, trainResolution: {start: 128, end: 192, step: 16}}
              - {from: 10, trainResolution: 224, dropoutRate: 0.3}
            """,
            "ramp.yaml");
    registry
        .server()
        .store()
        .applyAll(
            List.of(
                checkpoint(
                    run, 300, 1, "resnet20_cifar", CheckpointEvent.CREATED, schedule.toJson()),
                checkpoint(
                    run, 500, 2, "resnet20_cifar", CheckpointEvent.CREATED, schedule.toJson()),
                checkpoint(run, 600, 3)));

    HttpResponse<String> response =
        get(registry.port(), "/api/runs/" + run + "/schedule?step=500&points=5");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode sampled = json(response);
    assertThat(sampled.get("step").asLong()).isEqualTo(500);
    assertThat(sampled.get("name").asText()).isEqualTo("ramp");
    assertThat(sampled.get("testResolution").asInt()).isEqualTo(224);
    // Step 500 at epoch 5 (the fixtures' step / 100).
    assertThat(sampled.get("stepsPerEpoch").asDouble()).isEqualTo(100);
    assertThat(Json.MAPPER.convertValue(sampled.get("parameters"), List.class))
        .containsExactly("trainResolution", "dropoutRate");
    // From epoch 0 to the open segment's start plus one: 11 epochs in 4 intervals.
    List<Double> epochs = new ArrayList<>();
    for (JsonNode sample : sampled.get("samples")) {
      double epoch = sample.get("epoch").asDouble();
      epochs.add(epoch);
      assertThat(sample.get("stage"))
          .as("the stage at epoch " + epoch)
          .isEqualTo(Json.MAPPER.valueToTree(schedule.at(epoch)));
    }
    assertThat(epochs).containsExactly(0.0, 2.75, 5.5, 8.25, 11.0);
    assertThat(sampled.at("/samples/2/stage/trainResolution").asInt()).isEqualTo(160);
    assertThat(sampled.at("/samples/4/stage/dropoutRate").asDouble()).isEqualTo(0.3);

    // Without a step: the run's latest checkpoint, whose stored schedule is no schedule document.
    HttpResponse<String> latest = get(registry.port(), "/api/runs/" + run + "/schedule");
    assertThat(latest.statusCode()).as(latest.body()).isEqualTo(404);
    assertThat(json(latest).get("error").asText())
        .contains(run + "/600")
        .contains("schedule this registry cannot read");
    assertThat(json(get(registry.port(), "/api/runs/" + run + "/schedule?step=300")).get("samples"))
        .as("the default number of samples")
        .hasSize(ScheduleSamples.DEFAULT_POINTS);
    assertThat(get(registry.port(), "/api/runs/" + run + "/schedule?step=400").statusCode())
        .isEqualTo(404);
    assertThat(get(registry.port(), "/api/runs/nobody-" + run + "/schedule").statusCode())
        .isEqualTo(404);
  }

  @Test
  void listsCheckpointsNewestFirstWithEvaluations() {
    HttpResponse<String> response = get(registry.port(), "/api/checkpoints?run=" + runA);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    JsonNode list = json(response);
    assertThat(list.isArray()).isTrue();
    assertThat(steps(list)).containsExactly(300L, 200L, 100L);
    JsonNode oldest = list.get(2);
    assertThat(oldest.get("run").asText()).isEqualTo(runA);
    assertThat(oldest.get("model").asText()).isEqualTo("resnet20_cifar");
    assertThat(oldest.get("evaluations")).hasSize(2);
    JsonNode ema = oldest.get("evaluations").get(0);
    assertThat(ema.get("resolution").asInt()).isEqualTo(224);
    assertThat(ema.get("weights").asText()).isEqualTo("ema");
    assertThat(ema.get("top1").asDouble()).isEqualTo(0.81);
    assertThat(ema.get("top5").asDouble()).isEqualTo(1.0);
    assertThat(ema.get("nll").asDouble()).isEqualTo(2.0 - 0.81);
    assertThat(ema.get("images").asLong()).isEqualTo(10_000);
  }

  @Test
  void evaluationsCarryCalibrationGapVerdictAndPerClassAccuracy() {
    JsonNode one = json(get(registry.port(), "/api/checkpoints/" + runC + "/100"));
    JsonNode listed = json(get(registry.port(), "/api/checkpoints?run=" + runC)).get(0);
    assertThat(listed).as("the list and the single checkpoint agree").isEqualTo(one);

    // Per checkpoint: where it scored best and the run's verdict at this checkpoint.
    assertThat(one.get("bestResolution").asInt()).isEqualTo(160);
    assertThat(one.get("bestWeights").asText()).isEqualTo("ema");
    assertThat(one.get("bestTop1").asDouble()).isEqualTo(0.84);
    assertThat(one.get("verdict").asText()).isEqualTo("over-fitting");
    assertThat(one.get("verdictReason").asText()).isEqualTo(OVER_FITTING_REASON);
    assertThat(one.get("verdictEvidence").get("gap").asDouble()).isEqualTo(0.08);

    // Per evaluation, ordered by resolution then weights: 160 ema, 160 raw, 224 ema, 224 raw.
    JsonNode evaluations = one.get("evaluations");
    assertThat(evaluations).hasSize(4);
    JsonNode raw224 = evaluations.get(3);
    assertThat(raw224.get("id").asText()).isEqualTo(runC + "/100/224/raw");
    assertThat(raw224.get("ece").asDouble()).isEqualTo(0.01 + 224 / 10_000.0);
    JsonNode perClass = raw224.get("perClassAccuracy");
    assertThat(perClass).hasSize(4);
    assertThat(perClass.get(0).asDouble()).isEqualTo(0.80 + 0.05);
    assertThat(perClass.get(2).isNull()).as("a class without images is JSON null").isTrue();
    assertThat(raw224.get("trainResolution").asInt()).isEqualTo(160);
    assertThat(raw224.get("cropFraction").asDouble()).isEqualTo(0.875);
    assertThat(raw224.get("trainTop1").asDouble()).isEqualTo(0.9);
    assertThat(raw224.get("trainEvalGap").asDouble()).isEqualTo(0.9 - 0.80);
    assertThat(raw224.get("bestResolution").asInt()).isEqualTo(160);
    assertThat(raw224.get("verdict").asText()).isEqualTo("over-fitting");
    assertThat(raw224.get("verdictReason").asText()).isEqualTo(OVER_FITTING_REASON);
    assertThat(raw224.get("verdictEvidence").get("previousGap").asDouble()).isEqualTo(0.05);
    assertThat(raw224.has("error")).isFalse();

    JsonNode failed = evaluations.get(2);
    assertThat(failed.get("id").asText()).isEqualTo(runC + "/100/224/ema");
    assertThat(failed.get("error").asText()).isEqualTo("ema weights missing");
    assertThat(failed.has("top1")).as("a failed evaluation has no score").isFalse();
    assertThat(failed.has("ece")).isFalse();
    assertThat(failed.get("trainResolution").asInt()).isEqualTo(160);

    assertThat(find(json(get(registry.port(), "/api/runs")), runC).get("verdict").asText())
        .isEqualTo("over-fitting");
  }

  @Test
  void unknownOptionalFieldsAreAbsentFromTheJson() {
    JsonNode one = json(get(registry.port(), "/api/checkpoints/" + runA + "/100"));
    JsonNode ema = one.get("evaluations").get(0);
    assertThat(ema.get("top1").asDouble()).isEqualTo(0.81);
    for (String field : OPTIONAL_EVALUATION_FIELDS) {
      assertThat(ema.has(field)).as(field).isFalse();
    }
    assertThat(one.has("verdict")).isFalse();
    assertThat(one.get("bestResolution").asInt()).isEqualTo(224);
    assertThat(
            json(get(registry.port(), "/api/checkpoints/" + runA + "/300")).has("bestResolution"))
        .as("an unevaluated checkpoint has no best resolution")
        .isFalse();
  }

  @Test
  void filtersByModelAndStepRange() {
    assertThat(steps(json(get(registry.port(), "/api/checkpoints?model=resnet50&limit=1000"))))
        .contains(150L)
        .doesNotContain(100L, 200L, 300L);
    assertThat(
            steps(
                json(
                    get(
                        registry.port(),
                        "/api/checkpoints?run=" + runA + "&minStep=150&maxStep=300"))))
        .containsExactly(300L, 200L);
    assertThat(steps(json(get(registry.port(), "/api/checkpoints?run=" + runA + "&limit=1"))))
        .containsExactly(300L);
  }

  @Test
  void cursorPaginationFollowsTheNextCursorHeader() {
    List<Long> steps = new ArrayList<>();
    String query = "/api/checkpoints?run=" + runA + "&limit=2";
    HttpResponse<String> page = get(registry.port(), query);
    steps.addAll(steps(json(page)));
    String cursor = page.headers().firstValue("X-Next-Cursor").orElseThrow();
    assertThat(page.headers().firstValue("Link"))
        .hasValueSatisfying(
            link -> assertThat(link).contains("cursor=" + cursor).contains("rel=\"next\""));
    HttpResponse<String> last = get(registry.port(), query + "&cursor=" + cursor);
    steps.addAll(steps(json(last)));
    assertThat(last.headers().firstValue("X-Next-Cursor")).isEmpty();
    assertThat(steps).containsExactly(300L, 200L, 100L);
  }

  @Test
  void oneCheckpointAnd404ForAnUnknownOne() {
    JsonNode one = json(get(registry.port(), "/api/checkpoints/" + runA + "/100"));
    assertThat(one.get("id").asText()).isEqualTo(runA + "/100");
    assertThat(one.get("evaluations")).hasSize(2);

    HttpResponse<String> missing = get(registry.port(), "/api/checkpoints/" + runA + "/999");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(json(missing).get("error").asText()).contains(runA).contains("999");
  }

  @Test
  void malformedNumbersAre400NamingTheParameter() {
    HttpResponse<String> r = get(registry.port(), "/api/checkpoints?minStep=ten");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("error").asText()).contains("minStep").contains("ten");

    r = get(registry.port(), "/api/checkpoints/" + runA + "/abc");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("error").asText()).contains("step").contains("abc");

    r = get(registry.port(), "/api/checkpoints?limit=0");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("error").asText()).contains("limit");

    r = get(registry.port(), "/api/checkpoints?minStep=9&maxStep=1");
    assertThat(r.statusCode()).isEqualTo(400);

    r = get(registry.port(), "/api/checkpoints?limit=99999999999999999999");
    assertThat(r.statusCode()).isEqualTo(400);
  }

  @Test
  void unknownFilterIs400ListingTheKnownOnes() {
    HttpResponse<String> r = get(registry.port(), "/api/checkpoints?colour=red");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("error").asText()).contains("colour").contains("minStep");

    r = get(registry.port(), "/api/checkpoints?run=a&run=b");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("error").asText()).contains("more than once");
  }

  @Test
  void sortsByAScoreWithThresholdsAndTimeRange() {
    HttpResponse<String> r =
        get(registry.port(), "/api/checkpoints?run=" + runA + "&resolution=224&sort=top1&limit=1");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(steps(json(r))).containsExactly(100L);
    String cursor = r.headers().firstValue("X-Next-Cursor").orElseThrow();
    r =
        get(
            registry.port(),
            "/api/checkpoints?run=" + runA + "&resolution=224&sort=top1&limit=1&cursor=" + cursor);
    assertThat(steps(json(r))).containsExactly(200L);
    assertThat(r.headers().firstValue("X-Next-Cursor")).isEmpty();

    r = get(registry.port(), "/api/checkpoints?run=" + runA + "&minTop1=0.8&weights=ema");
    assertThat(steps(json(r))).containsExactly(100L);
    r = get(registry.port(), "/api/checkpoints?run=" + runA + "&sort=nll&order=desc");
    assertThat(steps(json(r))).containsExactly(200L, 100L);
    r = get(registry.port(), "/api/checkpoints?run=" + runA + "&sort=step&order=asc");
    assertThat(steps(json(r))).containsExactly(100L, 200L, 300L);
    long t = 4_000_000_000_000L;
    r = get(registry.port(), "/api/checkpoints?since=" + (t + 2) + "&until=" + (t + 4));
    assertThat(steps(json(r))).containsExactly(150L, 200L);
  }

  @Test
  void badSortsAndScoresAre400() {
    for (String[] c :
        new String[][] {
          {"sort=speed", "speed"},
          {"order=up", "order"},
          {"minTop1=high", "minTop1"},
          {"maxNll=NaN", "maxNll"},
          {"weights=fp16", "weights"},
          {"resolution=big", "resolution"},
          {"since=5&until=1", "since"},
        }) {
      HttpResponse<String> r = get(registry.port(), "/api/checkpoints?" + c[0]);
      assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
      assertThat(json(r).get("error").asText()).as(c[0]).contains(c[1]);
    }
    String byStep =
        get(registry.port(), "/api/checkpoints?sort=step&limit=1")
            .headers()
            .firstValue("X-Next-Cursor")
            .orElseThrow();
    HttpResponse<String> r = get(registry.port(), "/api/checkpoints?limit=1&cursor=" + byStep);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("error").asText()).contains("sorted by step");
  }

  @Test
  void evaluationPointsForTheCharts() {
    HttpResponse<String> r = get(registry.port(), "/api/evaluations?run=" + runA);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode points = json(r);
    assertThat(points).hasSize(3);
    assertThat(points.get(0).get("step").asLong()).isEqualTo(100);
    assertThat(points.get(2).get("step").asLong()).isEqualTo(200);
    assertThat(points.get(2).get("top1").asDouble()).isEqualTo(0.78);
    // Evaluations from an evaluator that did not report them leave ECE and the gap out.
    assertThat(points.get(2).has("trainEvalGap")).isFalse();

    // The scored ones of runC (the failed one is not a point).
    JsonNode detailed = json(get(registry.port(), "/api/evaluations?run=" + runC));
    assertThat(detailed).hasSize(3);
    JsonNode raw224 = null;
    for (JsonNode point : detailed) {
      if (point.get("resolution").asInt() == 224 && point.get("weights").asText().equals("raw")) {
        raw224 = point;
      }
    }
    assertThat(raw224).isNotNull();
    assertThat(raw224.get("trainEvalGap").asDouble()).isEqualTo(0.9 - 0.80);
    assertThat(raw224.get("ece").asDouble()).isEqualTo(0.01 + 224 / 10_000.0);
    assertThat(get(registry.port(), "/api/evaluations?limit=0").statusCode()).isEqualTo(400);
    assertThat(get(registry.port(), "/api/evaluations?colour=red").statusCode()).isEqualTo(400);
  }

  @Test
  void pipelineHealthReportsLagAndDeadLettersAsJsonAndMeters() {
    Fixtures.await(
        "a health sample listing this registry's consumer group",
        java.time.Duration.ofSeconds(30),
        () -> {
          JsonNode h = json(get(registry.port(), "/api/health"));
          for (JsonNode g : h.get("groups")) {
            if (g.get("group").asText().equals(registry.server().config().groupId())) {
              return g.get("stage").asText().equals("registry") && g.has("lag");
            }
          }
          return false;
        });
    JsonNode h = json(get(registry.port(), "/api/health"));
    assertThat(h.get("sampledAtMs").asLong()).isPositive();
    assertThat(h.get("deadLetters").has("augment")).isTrue();
    assertThat(h.get("deadLetters").has("registry")).isTrue();
    assertThat(get(registry.port(), "/api/health?x=1").statusCode()).isEqualTo(400);
    String metrics = get(registry.port(), "/metrics").body();
    assertThat(metrics)
        .contains("cardinal_pipeline_dead_letters{stage=\"augment\"}")
        .contains(
            "cardinal_pipeline_consumer_lag{group=\""
                + registry.server().config().groupId()
                + "\"");
  }

  @Test
  void unknownApiPathIsJson404() {
    HttpResponse<String> r = get(registry.port(), "/api/nothing-here");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(json(r).get("error").asText()).contains("/api/nothing-here");
  }

  @Test
  void runsWithLatestStepAndBestTop1() {
    JsonNode runs = json(get(registry.port(), "/api/runs"));
    JsonNode a = find(runs, runA);
    assertThat(a.get("latestStep").asLong()).isEqualTo(300);
    assertThat(a.get("checkpoints").asLong()).isEqualTo(3);
    assertThat(a.get("bestTop1").asDouble()).isEqualTo(0.81);
    assertThat(a.get("bestTop1Step").asLong()).isEqualTo(100);
    assertThat(find(runs, runB).get("model").asText()).isEqualTo("resnet50");
  }

  @Test
  void bestByMetric() {
    JsonNode best =
        json(get(registry.port(), "/api/runs/" + runA + "/best?metric=top1&weights=raw"));
    assertThat(best.get("value").asDouble()).isEqualTo(0.79);
    assertThat(best.get("checkpoint").get("step").asLong()).isEqualTo(100);
    assertThat(get(registry.port(), "/api/runs/" + runA + "/best?metric=loss").statusCode())
        .isEqualTo(400);
    assertThat(get(registry.port(), "/api/runs/" + runA + "/best?weights=fp8").statusCode())
        .isEqualTo(400);
    assertThat(get(registry.port(), "/api/runs/" + runB + "/best").statusCode()).isEqualTo(404);
  }

  @Test
  void aliasesNeedTheBearerToken() {
    String path = "/api/runs/" + runA + "/aliases/prod";
    HttpRequest.Builder put =
        HttpRequest.newBuilder()
            .PUT(HttpRequest.BodyPublishers.ofString("{\"step\": 200}"))
            .header("Content-Type", "application/json");
    assertThat(send(registry.port(), put, path).statusCode()).isEqualTo(401);
    assertThat(
            send(registry.port(), put.copy().header("Authorization", "Bearer wrong"), path)
                .statusCode())
        .isEqualTo(401);

    HttpResponse<String> ok =
        send(registry.port(), put.copy().header("Authorization", "Bearer " + TOKEN), path);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(json(ok).get("aliases").get(0).asText()).isEqualTo("prod");
    assertThat(json(get(registry.port(), path)).get("step").asLong()).isEqualTo(200);
    assertThat(json(get(registry.port(), "/api/runs/" + runA + "/aliases")).get("prod").asLong())
        .isEqualTo(200);

    HttpRequest.Builder badBody =
        HttpRequest.newBuilder()
            .PUT(HttpRequest.BodyPublishers.ofString("{\"step\": \"two\"}"))
            .header("Authorization", "Bearer " + TOKEN);
    assertThat(send(registry.port(), badBody, path).statusCode()).isEqualTo(400);
    HttpRequest.Builder missingStep =
        HttpRequest.newBuilder()
            .PUT(HttpRequest.BodyPublishers.ofString("{\"step\": 12345}"))
            .header("Authorization", "Bearer " + TOKEN);
    assertThat(send(registry.port(), missingStep, path).statusCode()).isEqualTo(404);
    HttpRequest.Builder delete =
        HttpRequest.newBuilder().DELETE().header("Authorization", "Bearer " + TOKEN);
    assertThat(send(registry.port(), delete, path).statusCode()).isEqualTo(200);
    assertThat(get(registry.port(), path).statusCode()).isEqualTo(404);
  }

  @Test
  void tagsFilterTheList() {
    String path = "/api/checkpoints/" + runB + "/150/tags/keep-me";
    HttpRequest.Builder put =
        HttpRequest.newBuilder()
            .PUT(HttpRequest.BodyPublishers.noBody())
            .header("Authorization", "Bearer " + TOKEN);
    assertThat(send(registry.port(), put, path).statusCode()).isEqualTo(200);
    assertThat(steps(json(get(registry.port(), "/api/checkpoints?tag=keep-me"))))
        .containsExactly(150L);
    assertThat(
            send(registry.port(), put, "/api/checkpoints/" + runB + "/150/tags/bad%20tag")
                .statusCode())
        .isEqualTo(400);
    HttpRequest.Builder delete =
        HttpRequest.newBuilder().DELETE().header("Authorization", "Bearer " + TOKEN);
    assertThat(send(registry.port(), delete, path).statusCode()).isEqualTo(200);
    assertThat(json(get(registry.port(), "/api/checkpoints?tag=keep-me"))).isEmpty();
  }

  @Test
  void downloadWithoutS3IsAnExplained503() {
    HttpResponse<String> r = get(registry.port(), "/api/checkpoints/" + runA + "/100/download");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(json(r).get("error").asText()).contains("--s3-endpoint");
  }

  @Test
  void servesOpenApiPrometheusAndTheUi() throws Exception {
    HttpResponse<String> openApi = get(registry.port(), "/api/openapi.yaml");
    assertThat(openApi.statusCode()).isEqualTo(200);
    JsonNode doc = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(openApi.body());
    assertThat(doc.get("openapi").asText()).startsWith("3.");
    assertThat(doc.get("paths").has("/api/checkpoints/{run}/{step}")).isTrue();
    assertThat(doc.get("paths").has("/api/stream")).isTrue();
    assertThat(doc.get("paths").has("/api/health")).isTrue();
    assertThat(doc.get("paths").has("/api/evaluations")).isTrue();
    JsonNode schemas = doc.get("components").get("schemas");
    for (String field : OPTIONAL_EVALUATION_FIELDS) {
      assertThat(schemas.get("Evaluation").get("properties").has(field)).as(field).isTrue();
    }
    for (String field : List.of("bestResolution", "bestWeights", "verdict", "verdictReason")) {
      assertThat(schemas.get("Checkpoint").get("properties").has(field)).as(field).isTrue();
    }
    assertThat(schemas.get("Run").get("properties").has("verdict")).isTrue();

    HttpResponse<String> metrics = get(registry.port(), "/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
    assertThat(metrics.body())
        .contains("cardinal_registry_store_checkpoints")
        .contains("cardinal_registry_sse_clients")
        .contains("cardinal_registry_metric_series");

    HttpResponse<String> index = get(registry.port(), "/");
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.body())
        .contains("/webjars/uplot/dist/uPlot.iife.min.js")
        .contains("chart-loss");
    HttpResponse<String> uplot = get(registry.port(), "/webjars/uplot/dist/uPlot.iife.min.js");
    assertThat(uplot.statusCode()).isEqualTo(200);
    assertThat(uplot.body()).contains("uPlot");
    assertThat(get(registry.port(), "/app.js").statusCode()).isEqualTo(200);
  }

  @Test
  void portInUseSaysWhatToDo() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      int busy = taken.getLocalPort();
      RegistryServer second = new RegistryServer(registryConfig("registry-busy").withPort(busy));
      assertThatThrownBy(second::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("port " + busy + " is in use: stop the other process or pass --port");
      second.close();
    }
  }

  private static List<Long> steps(JsonNode list) {
    List<Long> out = new ArrayList<>();
    list.forEach(c -> out.add(c.get("step").asLong()));
    return out;
  }

  private static JsonNode find(JsonNode runs, String run) {
    for (JsonNode r : runs) {
      if (r.get("run").asText().equals(run)) {
        return r;
      }
    }
    throw new AssertionError("run " + run + " not in " + Json.toString(runs));
  }
}
