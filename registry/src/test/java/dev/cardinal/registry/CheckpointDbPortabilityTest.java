package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.OVER_FITTING_REASON;
import static dev.cardinal.registry.Fixtures.checkpoint;
import static dev.cardinal.registry.Fixtures.detailedEvaluation;
import static dev.cardinal.registry.Fixtures.evaluation;
import static dev.cardinal.registry.Fixtures.failedEvaluation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepEventBuilder;
import dev.cardinal.core.event.SweepPoint;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same events give the same answers from SQLite and from PostgreSQL. */
class CheckpointDbPortabilityTest {
  @TempDir Path dir;

  @Test
  void postgresAnswersLikeSqlite() throws Exception {
    Map<String, Object> sqlite;
    try (CheckpointDb db = CheckpointDb.open(dir.resolve("registry.db").toString(), false)) {
      sqlite = answers(db);
    }
    assertThat(Json.toString(sqlite))
        .contains("a/200")
        .contains("b/150")
        // The optional evaluation fields are part of what must match.
        .contains(OVER_FITTING_REASON)
        .contains("\"perClassAccuracy\":[")
        .contains(",null,0.25]")
        .contains("\"ece\":")
        // The study folded from the sweep events, with its scores from the runs' evaluations.
        .contains("\"sweepId\":\"study\"")
        .contains("\"budgetSamples\":2000")
        .contains("\"dataset\":\"cifar10\"")
        .contains("\"state\":\"stop-requested\"")
        .contains("\"pointCount\":2");

    try (TestPostgres pg = TestPostgres.startOrSkip()) {
      try (CheckpointDb db = CheckpointDb.open(pg.url(), false)) {
        assertThat(Json.toString(answers(db))).isEqualTo(Json.toString(sqlite));
        // Events delivered again change nothing.
        assertThat(Json.toString(answers(db))).isEqualTo(Json.toString(sqlite));
      }
      // Rebuild on a server database empties the tables (it cannot delete a file).
      try (CheckpointDb db = CheckpointDb.open(pg.url(), true)) {
        assertThat(db.checkpointCount()).isZero();
        assertThat(db.evaluationCount()).isZero();
        assertThat(Json.toString(answers(db))).isEqualTo(Json.toString(sqlite));
      }
      assertPreviousSchemaMigrates(pg.url());
    }
  }

  /**
   * A PostgreSQL database made by the registry before the optional evaluation fields (in its own
   * database on the same server) opens, gains the columns and keeps its row.
   */
  private static void assertPreviousSchemaMigrates(String serverUrl) throws Exception {
    try (Connection c = DriverManager.getConnection(serverUrl);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE previous_schema");
    }
    String url = serverUrl.replace("/postgres?", "/previous_schema?");
    assertThat(url).isNotEqualTo(serverUrl);
    Fixtures.createPreviousSchema(url, "old");
    try (CheckpointDb db = CheckpointDb.open(url, false)) {
      Views.Evaluation old = db.find("old", 10).orElseThrow().evaluations().get(0);
      assertThat(old.result().scores().top1()).isEqualTo(0.625);
      assertThat(old.result().scores().ece()).isNull();
      db.upsertCheckpoint(checkpoint("old", 20, 300));
      db.upsertEvaluation(detailedEvaluation("old", 20, 224, "ema", 0.7, 224));
    }
    try (CheckpointDb db = CheckpointDb.open(url, false)) {
      Views.Checkpoint c = db.find("old", 20).orElseThrow();
      assertThat(c.regularization().reason()).isEqualTo(OVER_FITTING_REASON);
      assertThat(c.evaluations().get(0).result().scores().perClassAccuracy())
          .containsExactly(0.7 + 0.05, 0.7 - 0.05, null, 0.25);
      assertThat(db.evaluationCount()).isEqualTo(2);
    }
  }

  /** The event as if written at a fixed time, so both databases get the same history. */
  private static SweepEvent at(SweepEvent e, long atMs) {
    return SweepEventBuilder.builder(e).atMs(atMs).build();
  }

  /** Loads a fixed history and asks every kind of question the API asks. */
  private static Map<String, Object> answers(CheckpointDb db) {
    List<Object> events = new ArrayList<>();
    for (long step = 100; step <= 500; step += 100) {
      events.add(checkpoint("a", step, 1_000 + step));
      events.add(evaluation("a", step, 224, "ema", 0.5 + step / 2000.0));
      events.add(evaluation("a", step, 160, "raw", 0.4 + step / 4000.0));
    }
    events.add(checkpoint("b", 150, 5_000, "resnet50", CheckpointEvent.CREATED));
    events.add(evaluation("b", 150, 224, "raw", 0.91));
    events.add(
        EvaluationEvent.of(
            "b",
            150,
            EvaluationResult.failure(EvaluationPlan.of(160, "ema"), "params missing")
                .evaluatedAtMs(7)
                .build()));
    events.add(checkpoint("c", 400, 6_000, "resnet50", CheckpointEvent.CREATED));
    events.add(detailedEvaluation("c", 400, 160, "raw", 0.92, 160));
    events.add(detailedEvaluation("c", 400, 224, "raw", 0.88, 160));
    events.add(detailedEvaluation("c", 400, 160, "ema", 0.90, 160));
    events.add(failedEvaluation("c", 400, 224, "ema", "ema weights missing"));
    events.add(checkpoint("a", 300, 9_000, "resnet20_cifar", CheckpointEvent.DELETED));
    // A sweep whose points train runs a and c: defined twice (a resume), progress, a stop.
    SweepPoint pointA =
        new SweepPoint("pa", "a", "resnet20_cifar", "resnet", 1, null, 32, 1, 40_000_000, 270_000);
    SweepPoint pointC =
        new SweepPoint(
            "pc", "c", "resnet50", "resnet", 2, 56, 160, 0.5, 4_100_000_000L, 25_557_032);
    events.add(at(SweepEvent.defined("study", List.of(pointA), 1_000, "cifar10"), 10));
    events.add(at(SweepEvent.defined("study", List.of(pointA, pointC), 2_000, null), 20));
    events.add(at(SweepEvent.progress("study", "pa", SweepEvent.DONE, 2_000, 250.5, null), 30));
    events.add(at(SweepEvent.progress("study", "pc", SweepEvent.RUNNING, 700, 12.5, null), 40));
    events.add(at(SweepEvent.lifecycle("study", SweepEvent.STOP_REQUESTED, "by a test"), 50));
    db.applyAll(events);
    db.setAlias("a", "champion", 200);
    db.setAlias("a", "champion", 400);
    db.addTag("a", 200, "baseline");

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("newest", db.list(CheckpointQuery.all()));
    out.put("withDeleted", db.list(CheckpointQuery.all().withIncludeDeleted(true).withLimit(3)));
    CheckpointQuery byTop1 =
        CheckpointQuery.all().withScores(224, null, 0.6, null, null, "top1", null).withLimit(2);
    Views.Page first = db.list(byTop1);
    out.put("top1First", first);
    out.put("top1Second", db.list(byTop1.withCursor(first.nextCursor())));
    out.put(
        "nllAscending",
        db.list(CheckpointQuery.all().withScores(null, "raw", null, null, 1.5, "nll", null)));
    out.put("timeRange", db.list(CheckpointQuery.all().withTimeRange(1_200L, 1_500L)));
    out.put(
        "byStepAsc",
        db.list(CheckpointQuery.all().withScores(null, null, null, null, null, "step", false)));
    out.put("tagged", db.list(CheckpointQuery.all().withTag("baseline").withLimit(5)));
    out.put("runs", db.runs());
    out.put("best", db.best("a", "top1", 224, "ema").orElse(null));
    out.put("bestDetailed", db.best("c", "top1", null, null).orElse(null));
    out.put("detailed", db.find("c", 400).orElse(null));
    out.put("bestNll", db.best("a", "nll", null, null).orElse(null));
    out.put("champion", db.alias("a", "champion").orElse(null));
    out.put("points", db.evaluationPoints("a", 100));
    out.put("counts", List.of(db.checkpointCount(), db.evaluationCount()));
    out.put("sweeps", db.sweeps());
    out.put("sweep", db.sweep("study").orElse(null));
    return out;
  }
}
