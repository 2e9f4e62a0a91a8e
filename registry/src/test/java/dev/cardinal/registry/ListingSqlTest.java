package dev.cardinal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The listing SQL as text and arguments, without a database. */
class ListingSqlTest {
  private static final String NEWEST_ORDER =
      " ORDER BY c.created_at_ms DESC, c.step DESC, c.run_id DESC LIMIT ?";

  @Test
  void newestFirstIsOneFlatSelectInTheIndexOrder() {
    ListingSql.Sql sql = ListingSql.page(CheckpointQuery.all());

    assertThat(sql.text())
        .startsWith("SELECT " + Rows.CHECKPOINT_COLUMNS + ", c.created_at_ms AS sort_value")
        .doesNotContain("SELECT * FROM")
        .contains(" AND c.deleted = 0")
        .endsWith(NEWEST_ORDER);
    // One row more than the page, to know whether another page follows.
    assertThat(sql.args()).containsExactly(CheckpointQuery.DEFAULT_LIMIT + 1);
  }

  @Test
  void filtersBindTheirValuesInTheOrderOfTheirPlaceholders() {
    String hostile = "r' OR 1=1 --";
    CheckpointQuery q =
        CheckpointQuery.all()
            .withRun(hostile)
            .withModel("resnet50")
            .withMinStep(100L)
            .withMaxStep(900L)
            .withTag("best")
            .withIncludeDeleted(true)
            .withLimit(10)
            .withTimeRange(1_000L, 2_000L);

    ListingSql.Sql sql = ListingSql.page(q);

    assertThat(sql.text())
        .contains(
            " AND c.run_id = ? AND c.model = ? AND c.step >= ? AND c.step <= ?"
                + " AND c.created_at_ms >= ? AND c.created_at_ms < ?"
                + " AND EXISTS (SELECT 1 FROM tags t WHERE t.checkpoint_id = c.checkpoint_id"
                + " AND t.tag = ?)")
        .doesNotContain("deleted = 0")
        .doesNotContain(hostile)
        .doesNotContain("resnet50");
    assertThat(sql.args())
        .containsExactly(hostile, "resnet50", 100L, 900L, 1_000L, 2_000L, "best", 11);
    assertThat(placeholders(sql.text())).isEqualTo(sql.args().size());
  }

  @Test
  void scoreSortListsEachCheckpointsBestEvaluationInScopeInTheMetricsOrder() {
    CheckpointQuery q =
        CheckpointQuery.all().withScores(224, "ema", 0.8, null, null, "top1", null).withLimit(5);

    ListingSql.Sql sql = ListingSql.page(q);

    assertThat(sql.text())
        .isEqualTo(
            "SELECT "
                + Rows.CHECKPOINT_COLUMNS
                + ", e.top1 AS sort_value FROM evaluations e"
                + " JOIN checkpoints c ON c.checkpoint_id = e.checkpoint_id"
                + " WHERE e.top1 IS NOT NULL AND e.resolution = ? AND e.weights = ?"
                // One row per checkpoint: no better (or equal, smaller id) evaluation in scope.
                + " AND NOT EXISTS (SELECT 1 FROM evaluations b"
                + " WHERE b.checkpoint_id = e.checkpoint_id AND b.resolution = ? AND b.weights = ?"
                + " AND (b.top1 > e.top1 OR (b.top1 = e.top1 AND b.evaluation_id < e.evaluation_id)))"
                + " AND c.deleted = 0"
                // The bound on the sorted metric applies to that best evaluation itself.
                + " AND e.top1 >= ?"
                + " ORDER BY e.top1 DESC, c.created_at_ms DESC, c.step DESC, c.run_id DESC"
                + " LIMIT ?");
    assertThat(sql.args()).containsExactly(224, "ema", 224, "ema", 0.8, 6);
  }

  @Test
  void aRunsScoreListingFiltersTheEvaluationsByRunSoTheRunMetricIndexServesTheOrder() {
    ListingSql.Sql sql =
        ListingSql.page(
            CheckpointQuery.all()
                .withRun("r1")
                .withScores(224, null, null, null, null, "top1", null)
                .withLimit(5));

    assertThat(sql.text())
        .contains("WHERE e.top1 IS NOT NULL AND e.resolution = ? AND e.run_id = ? AND NOT EXISTS")
        .contains(" AND c.run_id = ?");
    assertThat(sql.args()).containsExactly(224, "r1", 224, "r1", 6);
    assertThat(placeholders(sql.text())).isEqualTo(sql.args().size());
  }

  @Test
  void aBoundOnAnotherMetricKeepsCheckpointsWithAnEvaluationInScopeThatPassesIt() {
    ListingSql.Sql sql =
        ListingSql.page(
            CheckpointQuery.all().withScores(160, null, null, 0.95, null, "top1", null));

    assertThat(sql.text())
        .contains(
            " AND EXISTS (SELECT 1 FROM evaluations e WHERE e.checkpoint_id = c.checkpoint_id"
                + " AND e.top5 >= ? AND e.resolution = ?)");
    assertThat(sql.args()).containsExactly(160, 160, 0.95, 160, 51);
    assertThat(placeholders(sql.text())).isEqualTo(sql.args().size());
  }

  @Test
  void nllSortsLowestFirst() {
    ListingSql.Sql sql =
        ListingSql.page(CheckpointQuery.all().withScores(null, null, null, null, 1.5, "nll", null));

    assertThat(sql.text())
        .contains("AND (b.nll < e.nll OR (b.nll = e.nll AND b.evaluation_id < e.evaluation_id))")
        .contains(" AND e.nll <= ?")
        .endsWith(" ORDER BY e.nll ASC, c.created_at_ms ASC, c.step ASC, c.run_id ASC LIMIT ?");
    assertThat(sql.args()).containsExactly(1.5, CheckpointQuery.DEFAULT_LIMIT + 1);
  }

  @Test
  void aScoreCursorContinuesAfterItsScoreAndRow() {
    String cursor = new Cursor("top1", true, "0.75", 1_500L, 300L, "a").encode();

    ListingSql.Sql sql =
        ListingSql.page(
            CheckpointQuery.all()
                .withScores(null, null, null, null, null, "top1", null)
                .withCursor(cursor));

    assertThat(sql.text())
        .contains(" AND (e.top1, c.created_at_ms, c.step, c.run_id) < (?, ?, ?, ?) ORDER BY");
    assertThat(sql.args())
        .containsExactly(0.75, 1_500L, 300L, "a", CheckpointQuery.DEFAULT_LIMIT + 1);
  }

  @Test
  void aColumnSortDoesNotRepeatItsKeyAmongTheTieBreakers() {
    ListingSql.Sql sql =
        ListingSql.page(
            CheckpointQuery.all().withScores(null, null, null, null, null, "step", false));

    assertThat(sql.text())
        .contains("c.step AS sort_value")
        .endsWith(" ORDER BY c.step ASC, c.created_at_ms ASC, c.run_id ASC LIMIT ?");
  }

  @Test
  void aCursorContinuesAfterItsRowWithARowValueComparison() {
    String cursor = new Cursor("created", true, "1500", 1_500L, 300L, "a").encode();

    ListingSql.Sql sql = ListingSql.page(CheckpointQuery.all().withCursor(cursor));

    assertThat(sql.text())
        .contains(" AND (c.created_at_ms, c.step, c.run_id) < (?, ?, ?)")
        .endsWith(NEWEST_ORDER);
    assertThat(sql.args()).containsExactly(1_500L, 300L, "a", CheckpointQuery.DEFAULT_LIMIT + 1);
  }

  @Test
  void aCursorOfAnotherOrderIsABadRequest() {
    String byStep = new Cursor("step", false, "300", 1_500L, 300L, "a").encode();

    assertThatThrownBy(() -> ListingSql.page(CheckpointQuery.all().withCursor(byStep)))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400))
        .hasMessageContaining("sorted by step ascending");
  }

  @Test
  void bestOrdersByTheMetricInItsDirectionAndRefusesOtherNames() {
    ListingSql.Sql top1 = ListingSql.best("a", "top1", 224, null);
    ListingSql.Sql nll = ListingSql.best("a", "nll", null, "raw");

    assertThat(top1.text()).contains("e.top1 IS NOT NULL AND e.resolution = ?");
    assertThat(top1.text())
        .endsWith(" ORDER BY e.top1 DESC, " + ListingSql.bestFirst("e") + " LIMIT 1");
    assertThat(top1.args()).containsExactly("a", 224);
    assertThat(nll.text())
        .endsWith(" ORDER BY e.nll ASC, " + ListingSql.bestFirst("e") + " LIMIT 1");
    assertThat(nll.args()).containsExactly("a", "raw");
    assertThatThrownBy(() -> ListingSql.best("a", "top1; DROP TABLE checkpoints", null, null))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400))
        .hasMessageContaining("use one of top1, top5, nll");
  }

  @Test
  void detailsOfAPageAskForEveryRowInOneStatementEach() {
    List<String> ids = List.of("a/100", "a/200", "b/150");

    assertThat(ListingSql.evaluationsOf(ids).text()).contains("WHERE e.checkpoint_id IN (?, ?, ?)");
    assertThat(ListingSql.evaluationsOf(ids).args()).containsExactly("a/100", "a/200", "b/150");
    assertThat(ListingSql.tagsOf(ids).text()).contains("IN (?, ?, ?)");
    assertThat(ListingSql.aliasesOf(List.of("a", "b")).text()).contains("IN (?, ?)");
    assertThatThrownBy(() -> ListingSql.tagsOf(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static long placeholders(String sql) {
    return sql.chars().filter(ch -> ch == '?').count();
  }
}
