package dev.cardinal.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.Topics;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.EvaluationResultBuilder;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.Scores;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.core.event.TrainEvalGap;
import dev.cardinal.core.event.Verdict;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestCheckpoints;
import dev.cardinal.core.testing.TestServices;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Events, HTTP calls and waiting, shared by the registry tests. */
final class Fixtures {
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Fixtures() {}

  /**
   * A registry on the test broker with a database file and a consumer group of its own, on a free
   * port of the default (loopback) address.
   */
  static RegistryConfig registryConfig(String name) {
    return RegistryConfig.of(
            TestServices.kafka(), TestServices.tempDir(name).resolve("registry.db").toString())
        .withPort(0)
        .withGroupId(TestServices.unique(name));
  }

  /** A started registry; the caller closes it. */
  static RegistryServer started(RegistryConfig config) {
    RegistryServer server = new RegistryServer(config);
    server.start();
    return server;
  }

  /** A new run with one checkpoint (step 100) written straight to {@code server}'s store. */
  static String runWithOneCheckpoint(RegistryServer server, String name) {
    String run = TestServices.unique(name);
    server.store().applyAll(java.util.List.of(checkpoint(run, 100, 4_000_000_000_000L)));
    return run;
  }

  /** Checkpoints of {@code run} at {@code steps}, in that order, created a millisecond apart. */
  static List<CheckpointEvent> checkpoints(String run, long... steps) {
    long now = System.currentTimeMillis();
    List<CheckpointEvent> out = new ArrayList<>();
    for (int i = 0; i < steps.length; i++) {
      out.add(checkpoint(run, steps[i], now + i));
    }
    return out;
  }

  static CheckpointEvent checkpoint(String run, long step, long createdAtMs) {
    return checkpoint(run, step, createdAtMs, "resnet20_cifar", CheckpointEvent.CREATED);
  }

  static CheckpointEvent checkpoint(
      String run, long step, long createdAtMs, String model, String kind) {
    return checkpoint(
        run, step, createdAtMs, model, kind, Json.MAPPER.createObjectNode().put("resolution", 160));
  }

  /** A checkpoint trained under {@code schedule} (the document the trainer stores with it). */
  static CheckpointEvent checkpoint(
      String run, long step, long createdAtMs, String model, String kind, JsonNode schedule) {
    return TestCheckpoints.event(run, step, createdAtMs, model, kind, schedule);
  }

  static EvaluationEvent evaluation(
      String run, long step, int resolution, String weights, double top1) {
    return EvaluationEvent.of(
        run,
        step,
        scored(resolution, weights, top1, 0.2, 2.0).evaluatedAtMs(1_000_000 + step).build());
  }

  /**
   * An evaluation of 10,000 images with top-5 {@code top5Margin} above top-1 (at most 1) and NLL
   * {@code nllBase - top1}, so that the scores rank together.
   */
  private static EvaluationResultBuilder scored(
      int resolution, String weights, double top1, double top5Margin, double nllBase) {
    return EvaluationResult.builder(EvaluationPlan.of(resolution, weights))
        .scores(Scores.of(10_000, top1, Math.min(1.0, top1 + top5Margin), nllBase - top1));
  }

  /** The verdict every {@link #detailedEvaluation} carries, as the evaluator words one. */
  static final String OVER_FITTING_REASON =
      "over-fitting: the train-eval gap widened from 0.010 to 0.080 over the last 3 checkpoint(s)"
          + " (train top-1 0.900, eval top-1 0.820 at 160 px); raise regularization";

  /**
   * An evaluation with every optional field the evaluator sends, derived from its arguments so that
   * each field of each evaluation differs: ECE grows with the resolution, the per-class accuracy
   * spreads around top-1 with one class without images (null), and the gap is {@code 0.9 - top1}.
   * The verdict is the same for every evaluation of a checkpoint, as the evaluator stamps it.
   */
  static EvaluationEvent detailedEvaluation(
      String run, long step, int resolution, String weights, double top1, int bestResolution) {
    Map<String, Double> evidence = new java.util.LinkedHashMap<>();
    evidence.put("gap", 0.08);
    evidence.put("previousGap", 0.05);
    evidence.put("windowStartGap", 0.01);
    evidence.put("wideningThreshold", 0.02);
    return EvaluationEvent.of(
        run,
        step,
        EvaluationResult.builder(new EvaluationPlan(resolution, weights, 160, 0.875, true))
            .scores(
                new Scores(
                    10_000,
                    top1,
                    Math.min(1.0, top1 + 0.1),
                    1.5 - top1,
                    0.01 + resolution / 10_000.0,
                    java.util.Arrays.asList(top1 + 0.05, top1 - 0.05, null, 0.25),
                    top1 - 0.002))
            .evaluatedAtMs(2_000_000 + step)
            .gap(new TrainEvalGap(0.9, 0.9 - top1))
            .bestResolution(bestResolution)
            .regularization(new Verdict(Verdict.OVER_FITTING, OVER_FITTING_REASON, evidence))
            .build());
  }

  /**
   * An evaluation the evaluator judged: raw weights at the train resolution, with the train-eval
   * gap and the verdict's evidence as {@code RegularizationJudge} writes them.
   */
  static EvaluationEvent judgedEvaluation(
      String run,
      long step,
      int resolution,
      String weights,
      double top1,
      double gap,
      String verdict) {
    Map<String, Double> evidence = new java.util.LinkedHashMap<>();
    evidence.put("gap", gap);
    evidence.put("trainTop1", top1 + gap);
    evidence.put("evalTop1", top1);
    evidence.put("resolution", (double) resolution);
    return EvaluationEvent.of(
        run,
        step,
        EvaluationResult.builder(new EvaluationPlan(resolution, weights, resolution, null, null))
            .scores(Scores.of(1_000, top1, Math.min(1.0, top1 + 0.2), 2.0 - top1))
            .evaluatedAtMs(4_000_000 + step)
            .gap(new TrainEvalGap(top1 + gap, gap))
            .regularization(new Verdict(verdict, verdict + " at step " + step, evidence))
            .build());
  }

  /** A point of a sweep on resnet20_cifar at 32 px, its run named after the sweep and point. */
  static SweepPoint sweepPoint(String sweep, String point, double width, long macs) {
    return new SweepPoint(
        point,
        sweep + "-" + point,
        "resnet20_cifar",
        "resnet",
        width,
        null,
        32,
        1.0,
        macs,
        270_000);
  }

  /** An event to publish: its topic, its key and the event. */
  record Published(String topic, String key, Object event) {}

  /**
   * A two-point study on resnet20_cifar as the sweep runner, trainers and evaluator would write it:
   * w1 (width ×1, 40 M MACs, 500 img/s at the end) over-fits, its gap widening 0.01, 0.03, 0.06
   * over three checkpoints, best top-1 0.62 raw and 0.57 EMA; w2 (width ×2, 160 M MACs, 100 img/s)
   * keeps a gap of 0.005 while eval top-1 rises 0.50, 0.58, 0.64. The sweep is defined twice, the
   * second time with w1 alone and other MACs (a resume), which must add and change nothing. Both
   * points end done with 50,000 samples.
   */
  static List<Published> twoPointStudy(String sweep, long now) {
    SweepPoint narrow = sweepPoint(sweep, "w1", 1, 40_000_000);
    SweepPoint wide = sweepPoint(sweep, "w2", 2, 160_000_000);
    List<Published> out = new ArrayList<>();
    java.util.function.Consumer<SweepEvent> sweepEvent =
        e -> out.add(new Published(Topics.SWEEPS, sweep, e));
    sweepEvent.accept(SweepEvent.defined(sweep, List.of(narrow, wide), 50_000, "fashion-mnist"));
    sweepEvent.accept(
        SweepEvent.defined(sweep, List.of(narrow.withMacs(1)), 50_000, "fashion-mnist"));
    sweepEvent.accept(SweepEvent.progress(sweep, "w1", SweepEvent.RUNNING, 10_000, 400.0, null));
    sweepEvent.accept(SweepEvent.progress(sweep, "w2", SweepEvent.RUNNING, 10_000, 100.0, null));
    double[] narrowGaps = {0.01, 0.03, 0.06};
    double[] wideTop1 = {0.50, 0.58, 0.64};
    for (int i = 0; i < 3; i++) {
      long step = 100L * (i + 1);
      for (SweepPoint p : List.of(narrow, wide)) {
        CheckpointEvent c = checkpoint(p.runId(), step, now + step);
        out.add(new Published(Topics.CHECKPOINTS, c.checkpointId(), c));
      }
      List<EvaluationEvent> scores =
          List.of(
              judgedEvaluation(
                  narrow.runId(), step, 32, "raw", 0.6 + 0.01 * i, narrowGaps[i], "balanced"),
              evaluation(narrow.runId(), step, 32, "ema", 0.55 + 0.01 * i),
              judgedEvaluation(wide.runId(), step, 32, "raw", wideTop1[i], 0.005, "balanced"));
      for (EvaluationEvent e : scores) {
        out.add(new Published(Topics.EVALUATIONS, e.checkpointId(), e));
      }
    }
    sweepEvent.accept(SweepEvent.progress(sweep, "w1", SweepEvent.DONE, 50_000, 500.0, null));
    // No rate in the last event of w2: the last measured one stands.
    sweepEvent.accept(SweepEvent.progress(sweep, "w2", SweepEvent.DONE, 50_000, null, null));
    return out;
  }

  /** An evaluation error event as the evaluator sends it: NaN metrics, the error, the plan. */
  static EvaluationEvent failedEvaluation(
      String run, long step, int resolution, String weights, String error) {
    return EvaluationEvent.of(
        run,
        step,
        EvaluationResult.failure(new EvaluationPlan(resolution, weights, 160, 0.875, true), error)
            .evaluatedAtMs(3_000_000 + step)
            .build());
  }

  /**
   * Creates the schema of the registry before evaluations carried the optional fields (the four
   * tables as that registry made them) and one checkpoint with one evaluation in it, through plain
   * JDBC: what an existing deployment's database looks like when the new registry first opens it.
   */
  static void createPreviousSchema(String jdbcUrl, String run) throws java.sql.SQLException {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl);
        java.sql.Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE checkpoints (checkpoint_id TEXT PRIMARY KEY, run_id TEXT NOT NULL,"
              + " step BIGINT NOT NULL, epoch INTEGER NOT NULL, samples_seen BIGINT NOT NULL,"
              + " model TEXT, bucket TEXT, prefix TEXT, spec TEXT, schedule TEXT,"
              + " train_metrics TEXT, created_at_ms BIGINT NOT NULL,"
              + " deleted INTEGER NOT NULL DEFAULT 0, deleted_at_ms BIGINT)");
      s.execute(
          "CREATE TABLE evaluations (evaluation_id TEXT PRIMARY KEY,"
              + " checkpoint_id TEXT NOT NULL, run_id TEXT NOT NULL, step BIGINT NOT NULL,"
              + " resolution INTEGER NOT NULL, weights TEXT NOT NULL, images BIGINT NOT NULL,"
              + " top1 DOUBLE PRECISION, top5 DOUBLE PRECISION, nll DOUBLE PRECISION,"
              + " error TEXT, evaluated_at_ms BIGINT NOT NULL)");
      s.execute("CREATE INDEX evaluations_checkpoint ON evaluations (checkpoint_id)");
      s.execute(
          "CREATE TABLE aliases (run_id TEXT NOT NULL, alias TEXT NOT NULL,"
              + " step BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL,"
              + " PRIMARY KEY (run_id, alias))");
      s.execute(
          "CREATE TABLE tags (checkpoint_id TEXT NOT NULL, tag TEXT NOT NULL,"
              + " PRIMARY KEY (checkpoint_id, tag))");
      s.execute(
          "INSERT INTO checkpoints (checkpoint_id, run_id, step, epoch, samples_seen, model,"
              + " created_at_ms) VALUES ('"
              + run
              + "/10', '"
              + run
              + "', 10, 0, 1280, 'resnet20_cifar', 100)");
      s.execute(
          "INSERT INTO evaluations (evaluation_id, checkpoint_id, run_id, step, resolution,"
              + " weights, images, top1, top5, nll, error, evaluated_at_ms) VALUES ('"
              + run
              + "/10/224/ema', '"
              + run
              + "/10', '"
              + run
              + "', 10, 224, 'ema', 500, 0.625, 0.875, 1.25, NULL, 200)");
    }
  }

  static HttpResponse<String> get(int port, String pathAndQuery) {
    return send(port, HttpRequest.newBuilder().GET(), pathAndQuery);
  }

  static HttpResponse<String> send(int port, HttpRequest.Builder request, String pathAndQuery) {
    try {
      return HTTP.send(
          request
              .uri(URI.create("http://127.0.0.1:" + port + pathAndQuery))
              .timeout(Duration.ofSeconds(30))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("HTTP " + pathAndQuery + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static JsonNode json(HttpResponse<String> response) {
    try {
      return Json.MAPPER.readTree(response.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + response.body(), e);
    }
  }

  /** Polls until the condition holds; fails with the description after the timeout. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    Await.until(timeout, what, condition::getAsBoolean);
  }
}
