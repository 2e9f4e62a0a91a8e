package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.OVER_FITTING_REASON;
import static dev.cardinal.registry.Fixtures.checkpoint;
import static dev.cardinal.registry.Fixtures.detailedEvaluation;
import static dev.cardinal.registry.Fixtures.evaluation;
import static dev.cardinal.registry.Fixtures.failedEvaluation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.event.BestEvaluation;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Scores;
import dev.cardinal.core.event.TrainEvalGap;
import dev.cardinal.core.event.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointDbTest {
  @TempDir Path dir;
  private CheckpointDb db;

  @BeforeEach
  void open() {
    db = CheckpointDb.open(dir.resolve("registry.db").toString(), false);
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void sameEventsTwiceMakeOneRowEach() {
    CheckpointEvent created = checkpoint("r", 100, 1_000);
    db.upsertCheckpoint(created);
    db.upsertCheckpoint(created);
    db.upsertEvaluation(evaluation("r", 100, 224, "ema", 0.7));
    db.applyAll(List.of(created, evaluation("r", 100, 224, "ema", 0.7)));

    assertThat(db.checkpointCount()).isEqualTo(1);
    assertThat(db.evaluationCount()).isEqualTo(1);
    Views.Checkpoint c = db.find("r", 100).orElseThrow();
    assertThat(c.evaluations()).hasSize(1);
    assertThat(c.evaluations().get(0).result().scores().top1()).isEqualTo(0.7);
    assertThat(c.stored().spec().tree().get("preset").asText()).isEqualTo("resnet20_cifar");
    assertThat(c.stored().trainMetrics().tree().get("loss").asDouble()).isEqualTo(1.0 / 101);
  }

  @Test
  void redeliveredEvaluationReplacesTheScore() {
    db.upsertCheckpoint(checkpoint("r", 1, 1));
    db.upsertEvaluation(evaluation("r", 1, 160, "raw", 0.5));
    db.upsertEvaluation(evaluation("r", 1, 160, "raw", 0.6));
    assertThat(db.find("r", 1).orElseThrow().evaluations())
        .singleElement()
        .satisfies(e -> assertThat(e.result().scores().top1()).isEqualTo(0.6));
  }

  @Test
  void evaluationBeforeItsCheckpointIsKeptAndAttachedLater() {
    db.upsertEvaluation(evaluation("r", 5, 224, "raw", 0.4));
    assertThat(db.find("r", 5)).isEmpty();
    db.upsertCheckpoint(checkpoint("r", 5, 1));
    assertThat(db.find("r", 5).orElseThrow().evaluations()).hasSize(1);
  }

  @Test
  void failedEvaluationHasNoMetricsButItsError() {
    db.upsertCheckpoint(checkpoint("r", 1, 1));
    db.upsertEvaluation(
        EvaluationEvent.of(
            "r",
            1,
            EvaluationResult.failure(EvaluationPlan.of(224, "ema"), "params missing")
                .evaluatedAtMs(5)
                .build()));
    Views.Evaluation e = db.find("r", 1).orElseThrow().evaluations().get(0);
    assertThat(e.result().scores().top1()).isNull();
    assertThat(e.result().scores().nll()).isNull();
    assertThat(e.result().error()).isEqualTo("params missing");
  }

  @Test
  void evaluationWithEveryOptionalFieldRoundTrips() {
    db.upsertCheckpoint(checkpoint("r", 100, 1));
    EvaluationEvent sent = detailedEvaluation("r", 100, 192, "raw", 0.82, 160);
    db.upsertEvaluation(sent);

    Views.Evaluation stored = db.find("r", 100).orElseThrow().evaluations().get(0);
    assertThat(stored.result().scores().ece()).isEqualTo(sent.result().scores().ece());
    assertThat(stored.result().scores().perClassAccuracy())
        .as("a class without images stays null in place, not dropped")
        .containsExactly(0.82 + 0.05, 0.82 - 0.05, null, 0.25);
    assertThat(stored.result().plan().trainResolution()).isEqualTo(160);
    assertThat(stored.result().plan().cropFraction()).isEqualTo(0.875);
    assertThat(stored.result().gap().trainTop1()).isEqualTo(0.9);
    assertThat(stored.result().gap().trainEvalGap()).isEqualTo(0.9 - 0.82);
    assertThat(stored.result().bestResolution()).isEqualTo(160);
    assertThat(stored.result().regularization().verdict()).isEqualTo("over-fitting");
    assertThat(stored.result().regularization().reason()).isEqualTo(OVER_FITTING_REASON);
    assertThat(stored.result().regularization().evidence())
        .isEqualTo(sent.result().regularization().evidence());
    assertThat(stored.result().error()).isNull();
    assertThat(stored.result()).as("every field reads back as sent").isEqualTo(sent.result());
    // The listing and the best-of-run answer read the same columns.
    assertThat(db.list(CheckpointQuery.all()).checkpoints().get(0).evaluations())
        .containsExactly(stored);
    assertThat(db.best("r", "top1", null, null).orElseThrow().evaluation()).isEqualTo(stored);
  }

  @Test
  void redeliveredDetailedEvaluationStaysOneRowAndTheLatestWins() {
    db.upsertCheckpoint(checkpoint("r", 1, 1));
    db.upsertEvaluation(detailedEvaluation("r", 1, 224, "ema", 0.7, 224));
    db.upsertEvaluation(detailedEvaluation("r", 1, 224, "ema", 0.7, 224));
    db.upsertEvaluation(detailedEvaluation("r", 1, 224, "ema", 0.75, 192));

    assertThat(db.evaluationCount()).isEqualTo(1);
    Views.Evaluation e = db.find("r", 1).orElseThrow().evaluations().get(0);
    assertThat(e.result().bestResolution()).isEqualTo(192);
    assertThat(e.result().scores().perClassAccuracy().get(0)).isEqualTo(0.75 + 0.05);
  }

  @Test
  void evaluationWithoutTheOptionalFieldsReadsThemAsUnknown() {
    db.upsertCheckpoint(checkpoint("r", 1, 1));
    db.upsertEvaluation(evaluation("r", 1, 224, "ema", 0.7));

    Views.Checkpoint c = db.find("r", 1).orElseThrow();
    Views.Evaluation e = c.evaluations().get(0);
    assertThat(e.result().scores().top1()).isEqualTo(0.7);
    assertThat(
            Arrays.asList(
                e.result().scores().ece(),
                e.result().scores().perClassAccuracy(),
                e.result().plan().trainResolution(),
                e.result().plan().cropFraction(),
                e.result().gap().trainTop1(),
                e.result().gap().trainEvalGap(),
                e.result().bestResolution(),
                e.result().regularization().verdict(),
                e.result().regularization().reason(),
                e.result().regularization().evidence(),
                e.result().error()))
        .containsOnlyNulls();
    assertThat(c.regularization().verdict()).isNull();
    assertThat(c.regularization().reason()).isNull();
    // The best resolution of the checkpoint comes from the scores, which older events have.
    assertThat(c.best().resolution()).isEqualTo(224);
  }

  @Test
  void checkpointSummarizesItsBestResolutionAndVerdict() {
    db.upsertCheckpoint(checkpoint("r", 1, 1));
    db.upsertCheckpoint(checkpoint("r", 2, 2));
    db.applyAll(
        List.of(
            detailedEvaluation("r", 1, 128, "raw", 0.60, 192),
            detailedEvaluation("r", 1, 192, "raw", 0.70, 192),
            detailedEvaluation("r", 1, 128, "ema", 0.65, 160),
            detailedEvaluation("r", 1, 160, "ema", 0.68, 160),
            failedEvaluation("r", 1, 224, "ema", "out of memory")));

    Views.Checkpoint c = db.find("r", 1).orElseThrow();
    assertThat(c.best().resolution()).isEqualTo(192);
    assertThat(c.best().weights()).isEqualTo("raw");
    assertThat(c.best().top1()).isEqualTo(0.70);
    assertThat(c.regularization().verdict()).isEqualTo("over-fitting");
    assertThat(c.regularization().reason()).isEqualTo(OVER_FITTING_REASON);
    assertThat(c.regularization().evidence()).containsEntry("gap", 0.08);
    Views.Evaluation failed =
        c.evaluations().stream().filter(e -> e.result().error() != null).findFirst().orElseThrow();
    assertThat(failed.result().error()).isEqualTo("out of memory");
    assertThat(failed.result().scores().top1()).isNull();
    assertThat(failed.result().plan().trainResolution())
        .as("the plan is known even when scoring failed")
        .isEqualTo(160);
    assertThat(failed.result().regularization().verdict()).isNull();

    Views.Checkpoint unevaluated = db.find("r", 2).orElseThrow();
    assertThat(unevaluated.best().resolution()).isNull();
    assertThat(unevaluated.regularization().verdict()).isNull();
    assertThat(db.runs().get(0).verdict()).isEqualTo("over-fitting");
    assertThat(db.runs().get(0).verdictStep()).isEqualTo(1);
  }

  @Test
  void nonFiniteOptionalNumbersAreStoredAsUnknown() {
    db.upsertCheckpoint(checkpoint("r", 1, 1));
    EvaluationEvent d = detailedEvaluation("r", 1, 224, "raw", 0.5, 224);
    db.upsertEvaluation(
        EvaluationEvent.of(
            d.runId(),
            d.step(),
            new EvaluationResult(
                d.result().plan(),
                new Scores(
                    d.result().scores().images(),
                    d.result().scores().top1(),
                    d.result().scores().top5(),
                    d.result().scores().nll(),
                    Double.NaN,
                    Arrays.asList(0.5, Double.NaN, Double.POSITIVE_INFINITY),
                    Double.NaN),
                null,
                d.result().evaluatedAtMs(),
                new TrainEvalGap(Double.NaN, Double.NaN),
                224,
                new Verdict(
                    Verdict.UNKNOWN,
                    "unknown: no train_top1",
                    Map.of("gap", Double.NaN, "minGap", 0.02)))));

    Views.Evaluation e = db.find("r", 1).orElseThrow().evaluations().get(0);
    // JSON has no NaN: a non-finite number is reported as not known, like a NaN metric.
    assertThat(e.result().scores().ece()).isNull();
    assertThat(e.result().gap().trainTop1()).isNull();
    assertThat(e.result().gap().trainEvalGap()).isNull();
    assertThat(e.result().scores().perClassAccuracy()).containsExactly(0.5, null, null);
    assertThat(e.result().regularization().evidence()).containsExactly(Map.entry("minGap", 0.02));
    assertThat(e.result().regularization().verdict()).isEqualTo("unknown");
  }

  @Test
  void databaseOfThePreviousSchemaIsMigratedInPlace() throws Exception {
    db.close();
    Path file = dir.resolve("previous.db");
    Fixtures.createPreviousSchema("jdbc:sqlite:" + file, "old");
    assertThat(evaluationColumns(file)).doesNotContain("ece", "verdict");

    db = CheckpointDb.open(file.toString(), false);
    assertThat(evaluationColumns(file))
        .as("every column the event writer binds, the later ones included")
        .containsAll(EventWriter.EVALUATION_COLUMNS)
        .contains("per_class_accuracy", "verdict_evidence");
    // The old row reads, its new fields unknown.
    Views.Evaluation old = db.find("old", 10).orElseThrow().evaluations().get(0);
    assertThat(old.result().scores().top1()).isEqualTo(0.625);
    assertThat(old.result().scores().ece()).isNull();
    assertThat(old.result().regularization().verdict()).isNull();
    // New events land in the migrated table with every field.
    db.upsertCheckpoint(checkpoint("old", 20, 300));
    db.upsertEvaluation(detailedEvaluation("old", 20, 224, "ema", 0.7, 224));
    assertThat(db.find("old", 20).orElseThrow().regularization().reason())
        .isEqualTo(OVER_FITTING_REASON);
    db.close();

    // Opening a migrated database again changes nothing and loses nothing.
    db = CheckpointDb.open(file.toString(), false);
    assertThat(db.evaluationCount()).isEqualTo(2);
    assertThat(db.find("old", 20).orElseThrow().evaluations().get(0).result().scores().ece())
        .isEqualTo(0.01 + 224 / 10_000.0);
  }

  @Test
  void migrationsAreRecordedAndAnOlderDatabaseIsBaselinedAtTheFirstSchema() throws Exception {
    assertThat(migrations(dir.resolve("registry.db")))
        .containsExactly("1 SQL", "2 JDBC", "3 SQL", "4 SQL", "5 SQL", "6 SQL");
    db.close();

    Path file = dir.resolve("previous.db");
    Fixtures.createPreviousSchema("jdbc:sqlite:" + file, "old");
    db = CheckpointDb.open(file.toString(), false);
    db.close();
    // Its tables are the first schema: kept as they are, and only the later steps run.
    assertThat(migrations(file))
        .containsExactly("1 BASELINE", "2 JDBC", "3 SQL", "4 SQL", "5 SQL", "6 SQL");
    db = CheckpointDb.open(file.toString(), false);
    assertThat(migrations(file)).hasSize(6);
    assertThat(db.find("old", 10)).isPresent();
  }

  /** Version and kind of each successful migration in the history table, in the order applied. */
  private static List<String> migrations(Path file) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT version, type, success FROM "
                    + StoreSchema.HISTORY_TABLE
                    + " ORDER BY installed_rank")) {
      while (rs.next()) {
        if (rs.getBoolean(3)) {
          out.add(rs.getString(1) + " " + rs.getString(2));
        }
      }
    }
    return out;
  }

  private static Set<String> evaluationColumns(Path file) throws Exception {
    Set<String> names = new HashSet<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA table_info(evaluations)")) {
      while (rs.next()) {
        names.add(rs.getString("name"));
      }
    }
    return names;
  }

  @Test
  void deletedEventMarksTheCheckpointAndHidesItFromTheDefaultList() {
    db.upsertCheckpoint(checkpoint("r", 1, 1));
    db.upsertCheckpoint(checkpoint("r", 2, 2));
    db.upsertCheckpoint(checkpoint("r", 1, 50, "resnet20_cifar", CheckpointEvent.DELETED));

    Views.Checkpoint deleted = db.find("r", 1).orElseThrow();
    assertThat(deleted.stored().deleted()).isTrue();
    assertThat(deleted.stored().deletedAtMs()).isEqualTo(50);
    assertThat(deleted.stored().createdAtMs()).as("creation time is kept").isEqualTo(1);
    assertThat(ids(db.list(CheckpointQuery.all()))).containsExactly("r/2");
    assertThat(ids(db.list(CheckpointQuery.all().withIncludeDeleted(true).withLimit(10))))
        .containsExactly("r/2", "r/1");
    assertThat(db.runs().get(0).checkpoints()).isEqualTo(1);
  }

  @Test
  void filtersAndNewestFirst() {
    db.upsertCheckpoint(checkpoint("a", 100, 10));
    db.upsertCheckpoint(checkpoint("a", 200, 20));
    db.upsertCheckpoint(checkpoint("b", 150, 15, "resnet50", CheckpointEvent.CREATED));
    db.upsertCheckpoint(checkpoint("a", 300, 30));

    assertThat(ids(db.list(CheckpointQuery.all())))
        .containsExactly("a/300", "a/200", "b/150", "a/100");
    assertThat(ids(db.list(CheckpointQuery.all().withRun("a"))))
        .containsExactly("a/300", "a/200", "a/100");
    assertThat(ids(db.list(CheckpointQuery.all().withModel("resnet50").withLimit(10))))
        .containsExactly("b/150");
    assertThat(
            ids(
                db.list(
                    CheckpointQuery.all()
                        .withRun("a")
                        .withMinStep(150L)
                        .withMaxStep(250L)
                        .withLimit(10))))
        .containsExactly("a/200");
  }

  @Test
  void cursorPagesThroughEverythingOnce() {
    for (int i = 0; i < 7; i++) {
      // Equal creation times for some rows: the order must still be total.
      db.upsertCheckpoint(checkpoint("p", i, i / 2));
    }
    List<String> seen = new ArrayList<>();
    CheckpointQuery q = CheckpointQuery.all().withLimit(3);
    Views.Page page = db.list(q);
    seen.addAll(ids(page));
    int pages = 1;
    while (page.nextCursor() != null) {
      page = db.list(q.withCursor(page.nextCursor()));
      seen.addAll(ids(page));
      pages++;
    }
    assertThat(pages).isEqualTo(3);
    assertThat(seen).containsExactly("p/6", "p/5", "p/4", "p/3", "p/2", "p/1", "p/0");
  }

  @Test
  void sortsByAScoreAtAResolutionAndPagesWithItsCursor() {
    for (int step = 1; step <= 5; step++) {
      db.upsertCheckpoint(checkpoint("s", step, 100 + step));
      // top-1 at 224 peaks in the middle; at 160 it grows with the step.
      db.upsertEvaluation(evaluation("s", step, 224, "ema", 0.9 - Math.abs(step - 3) * 0.1));
      db.upsertEvaluation(evaluation("s", step, 160, "raw", 0.5 + step * 0.01));
    }
    db.upsertCheckpoint(checkpoint("s", 6, 200)); // not evaluated: not in a score listing
    CheckpointQuery byTop1 =
        CheckpointQuery.all().withScores(224, null, null, null, null, "top1", null).withLimit(2);
    Views.Page page = db.list(byTop1);
    List<String> seen = new ArrayList<>(ids(page));
    while (page.nextCursor() != null) {
      page = db.list(byTop1.withCursor(page.nextCursor()));
      seen.addAll(ids(page));
    }
    // Ties (steps 2 and 4, 1 and 5) break by newest first.
    assertThat(seen).containsExactly("s/3", "s/4", "s/2", "s/5", "s/1");
    assertThat(
            ids(
                db.list(
                    CheckpointQuery.all().withScores(224, "ema", 0.8, null, null, "step", false))))
        .containsExactly("s/2", "s/3", "s/4");
    assertThat(
            ids(db.list(CheckpointQuery.all().withScores(160, null, 0.8, null, null, null, null))))
        .isEmpty();
    assertThat(ids(db.list(CheckpointQuery.all().withTimeRange(102L, 104L))))
        .containsExactly("s/3", "s/2");
    // A cursor of one order is refused by another.
    String cursor = db.list(byTop1).nextCursor();
    assertThatThrownBy(() -> db.list(CheckpointQuery.all().withLimit(2).withCursor(cursor)))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400))
        .hasMessageContaining("sorted by top1");
  }

  @Test
  void badCursorIsABadRequest() {
    assertThatThrownBy(() -> db.list(CheckpointQuery.all().withCursor("%%%")))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400))
        .hasMessageContaining("cursor");
  }

  @Test
  void runsSummarizeLatestStepAndBestTop1() {
    db.upsertCheckpoint(checkpoint("a", 100, 10));
    db.upsertCheckpoint(checkpoint("a", 200, 20));
    db.upsertEvaluation(evaluation("a", 100, 224, "ema", 0.8));
    db.upsertEvaluation(evaluation("a", 200, 224, "ema", 0.7));
    db.upsertEvaluation(evaluation("a", 200, 160, "raw", 0.75));
    db.upsertCheckpoint(checkpoint("b", 50, 30));

    List<Views.Run> runs = db.runs();
    assertThat(runs).extracting(Views.Run::run).containsExactly("b", "a");
    Views.Run a = runs.get(1);
    assertThat(a.latestStep()).isEqualTo(200);
    assertThat(a.checkpoints()).isEqualTo(2);
    assertThat(a.bestTop1()).isEqualTo(0.8);
    assertThat(a.bestTop1Step()).isEqualTo(100);
    assertThat(a.bestTop1Resolution()).isEqualTo(224);
    assertThat(runs.get(0).bestTop1()).isNull();

    db.upsertCheckpoint(checkpoint("a", 100, 40, "resnet20_cifar", CheckpointEvent.DELETED));
    Views.Run afterRetention = db.runs().get(1);
    assertThat(afterRetention.run()).isEqualTo("a");
    assertThat(afterRetention.bestTop1())
        .as("a deleted checkpoint's score is not the run's best, as in /best")
        .isEqualTo(0.75)
        .isEqualTo(db.best("a", "top1", null, null).orElseThrow().value());
    assertThat(afterRetention.bestTop1Step()).isEqualTo(200);
    assertThat(afterRetention.checkpoints()).isEqualTo(1);
  }

  /** One evaluation of the tie-break test, and the score core's rule sees in it. */
  private record Tie(long step, int resolution, String weights, double top1, Double nll) {
    BestEvaluation.Score score() {
      return new BestEvaluation.Score(top1, nll, resolution, weights, step);
    }
  }

  @Test
  void theRunsBestFollowsCoresRuleOnEveryTie() {
    // Each candidate in turn, with the one that must then be best: equal top-1 throughout but the
    // last, so the later step, a missing NLL, the weights name, the resolution and the NLL decide.
    Object[][] sequence = {
      {new Tie(100, 224, "raw", 0.8, 0.6), 100L},
      {new Tie(200, 224, "raw", 0.8, 0.6), 200L},
      {new Tie(250, 224, "raw", 0.8, null), 200L},
      {new Tie(100, 224, "ema", 0.8, 0.6), 100L},
      {new Tie(50, 160, "raw", 0.8, 0.6), 50L},
      {new Tie(300, 224, "raw", 0.8, 0.5), 300L},
      {new Tie(400, 128, "ema", 0.79, 0.1), 300L},
    };
    List<Tie> inserted = new ArrayList<>();
    for (Object[] row : sequence) {
      Tie t = (Tie) row[0];
      db.upsertCheckpoint(checkpoint("t", t.step(), t.step()));
      db.upsertEvaluation(
          EvaluationEvent.of(
              "t",
              t.step(),
              EvaluationResult.builder(EvaluationPlan.of(t.resolution(), t.weights()))
                  // A failed NLL arrives as NaN and is stored as unknown.
                  .scores(Scores.of(100, t.top1(), 1.0, t.nll() == null ? Double.NaN : t.nll()))
                  .evaluatedAtMs(1)
                  .build()));
      inserted.add(t);
      Tie expected = BestEvaluation.among(inserted, Tie::score).orElseThrow();
      assertThat(expected.step()).as("core's rule after " + t).isEqualTo(row[1]);

      Views.Best best = db.best("t", "top1", null, null).orElseThrow();
      assertThat(
              new Tie(
                  best.checkpoint().stored().step(),
                  best.evaluation().result().plan().resolution(),
                  best.evaluation().result().plan().weights(),
                  best.evaluation().result().scores().top1(),
                  best.evaluation().result().scores().nll()))
          .as("GET /api/runs/t/best after " + t)
          .isEqualTo(expected);
      Views.Run run = db.runs().get(0);
      assertThat(List.of(run.bestTop1Step(), run.bestTop1Resolution(), run.bestTop1Weights()))
          .as("GET /api/runs after " + t)
          .isEqualTo(List.of(expected.step(), expected.resolution(), expected.weights()));
      Views.Checkpoint checkpoint = db.find("t", t.step()).orElseThrow();
      Tie bestHere =
          BestEvaluation.among(
                  inserted.stream().filter(c -> c.step() == t.step()).toList(), Tie::score)
              .orElseThrow();
      assertThat(List.of(checkpoint.best().resolution(), checkpoint.best().weights()))
          .as("the best evaluation of checkpoint " + t.step())
          .isEqualTo(List.of(bestHere.resolution(), bestHere.weights()));
    }
  }

  @Test
  void theLeaderboardRanksRunsByTheirBestWithTheSameRule() {
    db.upsertCheckpoint(checkpoint("confident", 10, 1));
    db.upsertCheckpoint(checkpoint("unsure", 10, 2));
    db.upsertCheckpoint(checkpoint("unscored", 10, 3));
    // Equal top-1: the lower NLL ranks first.
    Map.of("unsure", 0.9, "confident", 0.3)
        .forEach(
            (run, nll) ->
                db.upsertEvaluation(
                    EvaluationEvent.of(
                        run,
                        10,
                        EvaluationResult.builder(EvaluationPlan.of(224, "raw"))
                            .scores(new Scores(0, 0.9, null, nll, null, null, null))
                            .build())));

    Map<String, Integer> ranks = new java.util.HashMap<>();
    db.runs().forEach(r -> ranks.put(r.run(), r.bestRank()));
    assertThat(ranks).containsEntry("confident", 1).containsEntry("unsure", 2);
    assertThat(ranks.get("unscored")).isNull();
  }

  @Test
  void bestByMetricRanksHighestAccuracyAndLowestNll() {
    db.upsertCheckpoint(checkpoint("a", 1, 1));
    db.upsertCheckpoint(checkpoint("a", 2, 2));
    db.upsertCheckpoint(checkpoint("a", 3, 3));
    db.upsertEvaluation(evaluation("a", 1, 224, "ema", 0.5));
    db.upsertEvaluation(evaluation("a", 2, 224, "ema", 0.9));
    db.upsertEvaluation(evaluation("a", 3, 160, "raw", 0.95));

    assertThat(db.best("a", "top1", null, null).orElseThrow().checkpoint().stored().step())
        .isEqualTo(3);
    assertThat(db.best("a", "top1", 224, null).orElseThrow().checkpoint().stored().step())
        .isEqualTo(2);
    assertThat(db.best("a", "top1", null, "ema").orElseThrow().value()).isEqualTo(0.9);
    // nll = 2 - top1 in the fixtures: lowest nll is the highest top1.
    assertThat(db.best("a", "nll", null, null).orElseThrow().checkpoint().stored().step())
        .isEqualTo(3);
    db.upsertCheckpoint(checkpoint("a", 3, 9, "resnet20_cifar", CheckpointEvent.DELETED));
    assertThat(db.best("a", "top1", null, null).orElseThrow().checkpoint().stored().step())
        .as("a deleted checkpoint is never the best one to use")
        .isEqualTo(2);
    assertThat(db.best("nobody", "top1", null, null)).isEmpty();
    assertThatThrownBy(() -> db.best("a", "loss'; DROP TABLE checkpoints; --", null, null))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("top1, top5, nll");
  }

  @Test
  void aliasesAndTags() {
    db.upsertCheckpoint(checkpoint("a", 1, 1));
    db.upsertCheckpoint(checkpoint("a", 2, 2));
    db.setAlias("a", "prod", 1);
    db.setAlias("a", "prod", 2);
    db.addTag("a", 1, "baseline");
    db.addTag("a", 1, "baseline");

    assertThat(db.alias("a", "prod")).contains(2L);
    assertThat(db.aliases("a")).containsExactly(Map.entry("prod", 2L));
    assertThat(db.find("a", 2).orElseThrow().aliases()).containsExactly("prod");
    assertThat(db.find("a", 1).orElseThrow().tags()).containsExactly("baseline");
    assertThat(ids(db.list(CheckpointQuery.all().withTag("baseline").withLimit(5))))
        .containsExactly("a/1");
    assertThatThrownBy(() -> db.setAlias("a", "x", 99))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(404));
    assertThat(db.removeTag("a", 1, "baseline")).isTrue();
    assertThat(db.removeAlias("a", "prod")).isTrue();
    assertThat(db.removeAlias("a", "prod")).isFalse();
  }

  @Test
  void rowsSurviveReopenAndRebuildStartsEmpty() throws Exception {
    db.upsertCheckpoint(checkpoint("a", 1, 1));
    db.close();
    Path file = dir.resolve("registry.db");
    db = CheckpointDb.open(file.toString(), false);
    assertThat(db.checkpointCount()).isEqualTo(1);
    db.close();
    db = CheckpointDb.open(file.toString(), true);
    assertThat(db.checkpointCount()).isZero();
    assertThat(Files.exists(file)).isTrue();
  }

  @Test
  void unwritableDatabaseSaysWhichPath() throws Exception {
    Path blocker = dir.resolve("file");
    Files.writeString(blocker, "not a directory");
    assertThatThrownBy(
            () -> CheckpointDb.open(blocker.resolve("sub/registry.db").toString(), false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(blocker.toString())
        .hasMessageContaining("--database");
  }

  private static List<String> ids(Views.Page page) {
    return page.checkpoints().stream().map(c -> c.stored().id()).toList();
  }
}
