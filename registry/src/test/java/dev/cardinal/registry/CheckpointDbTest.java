package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.checkpoint;
import static dev.cardinal.registry.Fixtures.evaluation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    assertThat(c.evaluations().get(0).top1()).isEqualTo(0.7);
    assertThat(c.spec().get("preset").asText()).isEqualTo("resnet20_cifar");
    assertThat(c.trainMetrics()).containsEntry("loss", 1.0 / 101);
  }

  @Test
  void redeliveredEvaluationReplacesTheScore() {
    db.upsertCheckpoint(checkpoint("r", 1, 1));
    db.upsertEvaluation(evaluation("r", 1, 160, "raw", 0.5));
    db.upsertEvaluation(evaluation("r", 1, 160, "raw", 0.6));
    assertThat(db.find("r", 1).orElseThrow().evaluations())
        .singleElement()
        .satisfies(e -> assertThat(e.top1()).isEqualTo(0.6));
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
        new EvaluationEvent(
            1,
            "r/1/224/ema",
            "r",
            1,
            224,
            "ema",
            0,
            Double.NaN,
            Double.NaN,
            Double.NaN,
            "params missing",
            5));
    Views.Evaluation e = db.find("r", 1).orElseThrow().evaluations().get(0);
    assertThat(e.top1()).isNull();
    assertThat(e.nll()).isNull();
    assertThat(e.error()).isEqualTo("params missing");
  }

  @Test
  void deletedEventMarksTheCheckpointAndHidesItFromTheDefaultList() {
    db.upsertCheckpoint(checkpoint("r", 1, 1));
    db.upsertCheckpoint(checkpoint("r", 2, 2));
    db.upsertCheckpoint(checkpoint("r", 1, 50, "resnet20_cifar", CheckpointEvent.DELETED));

    Views.Checkpoint deleted = db.find("r", 1).orElseThrow();
    assertThat(deleted.deleted()).isTrue();
    assertThat(deleted.deletedAtMs()).isEqualTo(50);
    assertThat(deleted.createdAtMs()).as("creation time is kept").isEqualTo(1);
    assertThat(ids(db.list(CheckpointQuery.all()))).containsExactly("r/2");
    assertThat(ids(db.list(new CheckpointQuery(null, null, null, null, null, true, 10, null))))
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
    assertThat(
            ids(db.list(new CheckpointQuery(null, "resnet50", null, null, null, false, 10, null))))
        .containsExactly("b/150");
    assertThat(ids(db.list(new CheckpointQuery("a", null, 150L, 250L, null, false, 10, null))))
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
  }

  @Test
  void bestByMetricRanksHighestAccuracyAndLowestNll() {
    db.upsertCheckpoint(checkpoint("a", 1, 1));
    db.upsertCheckpoint(checkpoint("a", 2, 2));
    db.upsertCheckpoint(checkpoint("a", 3, 3));
    db.upsertEvaluation(evaluation("a", 1, 224, "ema", 0.5));
    db.upsertEvaluation(evaluation("a", 2, 224, "ema", 0.9));
    db.upsertEvaluation(evaluation("a", 3, 160, "raw", 0.95));

    assertThat(db.best("a", "top1", null, null).orElseThrow().checkpoint().step()).isEqualTo(3);
    assertThat(db.best("a", "top1", 224, null).orElseThrow().checkpoint().step()).isEqualTo(2);
    assertThat(db.best("a", "top1", null, "ema").orElseThrow().value()).isEqualTo(0.9);
    // nll = 2 - top1 in the fixtures: lowest nll is the highest top1.
    assertThat(db.best("a", "nll", null, null).orElseThrow().checkpoint().step()).isEqualTo(3);
    db.upsertCheckpoint(checkpoint("a", 3, 9, "resnet20_cifar", CheckpointEvent.DELETED));
    assertThat(db.best("a", "top1", null, null).orElseThrow().checkpoint().step())
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
    assertThat(
            ids(db.list(new CheckpointQuery(null, null, null, null, "baseline", false, 5, null))))
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
    return page.checkpoints().stream().map(Views.Checkpoint::id).toList();
  }
}
