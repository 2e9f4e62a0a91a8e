package dev.cardinal.registry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Builds the SQL of the registry's read queries from their parameters: text plus bound arguments,
 * nothing run. Pure, so the shape of every query (what it filters, how it orders and pages) is
 * testable without a database. Values never enter the SQL text; only names from fixed lists do.
 */
final class ListingSql {
  /** A statement and its positional arguments. */
  record Sql(String text, List<Object> args) {
    Sql {
      args = Collections.unmodifiableList(new ArrayList<>(args));
    }
  }

  static final List<String> METRICS = List.of("top1", "top5", "nll");

  /** The column of a listing row after the checkpoint columns: the value it sorts by. */
  static final int SORT_VALUE_COLUMN = Rows.CHECKPOINT_COLUMN_COUNT + 1;

  /** The tie-breakers after the sort key that make a listing's order total. */
  private static final List<String> TIES = List.of("created_at_ms", "step", "run_id");

  private ListingSql() {}

  /**
   * Core's {@link dev.cardinal.core.event.BestEvaluation} rule as an ORDER BY over evaluations of
   * the given alias, best first: higher top-1, lower NLL, smaller resolution, the weights name that
   * sorts first, the later step; a missing score last. The evaluation id only makes the order total
   * (one evaluation per checkpoint, resolution and weights, so it never decides between scores).
   */
  static String bestFirst(String alias) {
    return String.join(
        ", ",
        alias + ".top1 DESC NULLS LAST",
        alias + ".nll ASC NULLS LAST",
        alias + ".resolution ASC",
        alias + ".weights ASC NULLS LAST",
        alias + ".step DESC",
        alias + ".evaluation_id ASC");
  }

  /**
   * One page of {@code GET /api/checkpoints}: the checkpoint columns and the sort value, one row
   * more than the limit so the caller knows whether a next page exists.
   *
   * @throws ApiException 400 for a cursor of a listing with another order
   */
  static Sql page(CheckpointQuery q) {
    return q.sortsByScore() ? scorePage(q) : columnPage(q);
  }

  /**
   * A listing ordered by a checkpoint column: one flat SELECT, so the newest-first (or step) index
   * serves ORDER BY ... LIMIT and the scan stops after the page.
   */
  private static Sql columnPage(CheckpointQuery q) {
    List<Object> args = new ArrayList<>();
    String key = q.sort().equals("step") ? "c.step" : "c.created_at_ms";
    StringBuilder sql =
        new StringBuilder(
            "SELECT "
                + Rows.CHECKPOINT_COLUMNS
                + ", "
                + key
                + " AS sort_value FROM checkpoints c WHERE 1 = 1");
    checkpointFilters(sql, args, q);
    threshold(sql, args, q, "top1", ">=", q.minTop1());
    threshold(sql, args, q, "top5", ">=", q.minTop5());
    threshold(sql, args, q, "nll", "<=", q.maxNll());
    // The order: the key, then newest, step and run to make it total. A key that is itself one of
    // those is not repeated, so SQLite can walk an index.
    List<String> terms = new ArrayList<>(List.of(key));
    for (String tie : TIES) {
      if (!key.equals("c." + tie)) {
        terms.add("c." + tie);
      }
    }
    return ordered(sql, args, q, terms);
  }

  /**
   * A listing ordered by a score. A checkpoint counts as its best evaluation in scope (resolution,
   * weights), so the rows are those best evaluations joined to their checkpoints: the NOT EXISTS
   * keeps exactly one evaluation per checkpoint (a better one, or an equal one with a smaller id,
   * rules it out). Rows come in the order of the metric, which an index on it serves, so a page
   * reads about a page of evaluations instead of scoring every checkpoint and sorting them all.
   */
  private static Sql scorePage(CheckpointQuery q) {
    String metric = metric(q.sort());
    String better = metric.equals("nll") ? "<" : ">";
    List<Object> args = new ArrayList<>();
    StringBuilder sql =
        new StringBuilder(
            "SELECT "
                + Rows.CHECKPOINT_COLUMNS
                + ", e."
                + metric
                + " AS sort_value FROM evaluations e"
                + " JOIN checkpoints c ON c.checkpoint_id = e.checkpoint_id WHERE e."
                + metric
                + " IS NOT NULL");
    evaluationScope(sql, args, q, "e");
    // An evaluation carries its checkpoint's run: saying so on e lets the (run, metric) index walk
    // one run's evaluations in the metric's order and stop after a page, where filtering on c
    // alone scores and sorts every evaluation of the run.
    where(sql, args, "e.run_id = ?", q.run());
    sql.append(" AND NOT EXISTS (SELECT 1 FROM evaluations b")
        .append(" WHERE b.checkpoint_id = e.checkpoint_id");
    evaluationScope(sql, args, q, "b");
    sql.append(" AND (b.")
        .append(metric)
        .append(' ')
        .append(better)
        .append(" e.")
        .append(metric)
        .append(" OR (b.")
        .append(metric)
        .append(" = e.")
        .append(metric)
        .append(" AND b.evaluation_id < e.evaluation_id)))");
    checkpointFilters(sql, args, q);
    // A bound on the sorted metric holds for the best evaluation exactly when it holds for one.
    Double own =
        switch (metric) {
          case "top1" -> q.minTop1();
          case "top5" -> q.minTop5();
          default -> q.maxNll();
        };
    if (own != null) {
      sql.append(" AND e.").append(metric).append(metric.equals("nll") ? " <= ?" : " >= ?");
      args.add(own);
    }
    if (!metric.equals("top1")) {
      threshold(sql, args, q, "top1", ">=", q.minTop1());
    }
    if (!metric.equals("top5")) {
      threshold(sql, args, q, "top5", ">=", q.minTop5());
    }
    if (!metric.equals("nll")) {
      threshold(sql, args, q, "nll", "<=", q.maxNll());
    }
    List<String> terms = new ArrayList<>(List.of("e." + metric));
    for (String tie : TIES) {
      terms.add("c." + tie);
    }
    return ordered(sql, args, q, terms);
  }

  /** The filters on the checkpoint row itself. */
  private static void checkpointFilters(StringBuilder sql, List<Object> args, CheckpointQuery q) {
    where(sql, args, "c.run_id = ?", q.run());
    where(sql, args, "c.model = ?", q.model());
    where(sql, args, "c.step >= ?", q.minStep());
    where(sql, args, "c.step <= ?", q.maxStep());
    where(sql, args, "c.created_at_ms >= ?", q.since());
    where(sql, args, "c.created_at_ms < ?", q.until());
    where(
        sql,
        args,
        "EXISTS (SELECT 1 FROM tags t WHERE t.checkpoint_id = c.checkpoint_id AND t.tag = ?)",
        q.tag());
    if (!q.includeDeleted()) {
      sql.append(" AND c.deleted = 0");
    }
  }

  /** Adds the cursor's position, the order by the terms (all one way) and the limit. */
  private static Sql ordered(
      StringBuilder sql, List<Object> args, CheckpointQuery q, List<String> terms) {
    if (q.cursor() != null) {
      after(sql, args, q, terms);
    }
    String dir = q.descending() ? "DESC" : "ASC";
    sql.append(" ORDER BY ");
    for (int i = 0; i < terms.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append(terms.get(i)).append(' ').append(dir);
    }
    sql.append(" LIMIT ?");
    args.add(q.limit() + 1);
    return new Sql(sql.toString(), args);
  }

  /** Keeps the rows after the cursor's row in the listing's order (a row-value comparison). */
  private static void after(
      StringBuilder sql, List<Object> args, CheckpointQuery q, List<String> terms) {
    Cursor after = Cursor.decode(q.cursor());
    if (!after.sort().equals(q.sort()) || after.descending() != q.descending()) {
      throw ApiException.badRequest(
          "cursor belongs to a listing sorted by "
              + after.sort()
              + (after.descending() ? " descending" : " ascending")
              + ": keep the sort of the first page or start without a cursor");
    }
    sql.append(" AND (")
        .append(String.join(", ", terms))
        .append(q.descending() ? ") < (" : ") > (")
        .append(String.join(", ", Collections.nCopies(terms.size(), "?")))
        .append(')');
    for (int i = 0; i < terms.size(); i++) {
      String term = terms.get(i);
      if (i == 0 && q.sortsByScore()) {
        args.add(after.doubleValue());
      } else if (term.endsWith("created_at_ms")) {
        args.add(after.createdAtMs());
      } else if (term.endsWith("step")) {
        args.add(after.step());
      } else {
        args.add(after.run());
      }
    }
  }

  /** Keeps checkpoints with an evaluation in scope whose metric passes the bound. */
  private static void threshold(
      StringBuilder sql,
      List<Object> args,
      CheckpointQuery q,
      String metric,
      String comparison,
      Double bound) {
    if (bound == null) {
      return;
    }
    sql.append(" AND EXISTS (SELECT 1 FROM evaluations e WHERE e.checkpoint_id = c.checkpoint_id")
        .append(" AND e.")
        .append(metric)
        .append(' ')
        .append(comparison)
        .append(" ?");
    args.add(bound);
    evaluationScope(sql, args, q, "e");
    sql.append(')');
  }

  /** Restricts evaluations (of the given alias) to the query's resolution and weights. */
  private static void evaluationScope(
      StringBuilder sql, List<Object> args, CheckpointQuery q, String alias) {
    where(sql, args, alias + ".resolution = ?", q.resolution());
    where(sql, args, alias + ".weights = ?", q.weights());
  }

  /**
   * The run's best evaluation of an existing checkpoint by a metric (highest top1/top5, lowest
   * nll), ties broken by {@link #bestFirst}: the evaluation columns, then the step.
   *
   * @throws ApiException 400 for a metric other than top1, top5, nll
   */
  static Sql best(String run, String metric, Integer resolution, String weights) {
    String column = metric(metric);
    List<Object> args = new ArrayList<>(List.of(run));
    StringBuilder sql =
        new StringBuilder(
            "SELECT "
                + EvaluationColumn.SELECTED
                + ", e.step FROM evaluations e"
                + " JOIN checkpoints c ON c.checkpoint_id = e.checkpoint_id"
                + " WHERE e.run_id = ? AND c.deleted = 0 AND e."
                + column
                + " IS NOT NULL");
    where(sql, args, "e.resolution = ?", resolution);
    where(sql, args, "e.weights = ?", weights);
    sql.append(" ORDER BY e.")
        .append(column)
        .append(column.equals("nll") ? " ASC" : " DESC")
        .append(", ")
        .append(bestFirst("e"))
        .append(" LIMIT 1");
    return new Sql(sql.toString(), args);
  }

  /**
   * Scored evaluations of existing checkpoints, latest steps first (the caller reverses them), at
   * most {@code limit}; of one run, or of every run when {@code run} is null.
   */
  static Sql evaluationPoints(String run, int limit) {
    StringBuilder sql =
        new StringBuilder(
            "SELECT e.run_id, e.step, e.resolution, e.weights, e.top1, e.top5, e.nll,"
                + " e.ece, e.train_eval_gap FROM evaluations e JOIN checkpoints c"
                + " ON c.checkpoint_id = e.checkpoint_id"
                + " WHERE c.deleted = 0 AND e.top1 IS NOT NULL");
    List<Object> args = new ArrayList<>();
    where(sql, args, "e.run_id = ?", run);
    sql.append(" ORDER BY e.step DESC, e.run_id, e.resolution, e.weights LIMIT ?");
    args.add(limit);
    return new Sql(sql.toString(), args);
  }

  /** One checkpoint by id, deleted or not. */
  static Sql checkpoint(String checkpointId) {
    return new Sql(
        "SELECT " + Rows.CHECKPOINT_COLUMNS + " FROM checkpoints c WHERE c.checkpoint_id = ?",
        List.of(checkpointId));
  }

  /** The evaluations of some checkpoints: the evaluation columns, then the checkpoint id. */
  static Sql evaluationsOf(List<String> checkpointIds) {
    return whereIn(
        "SELECT " + EvaluationColumn.SELECTED + ", e.checkpoint_id FROM evaluations e",
        "e.checkpoint_id",
        checkpointIds,
        "e.resolution, e.weights");
  }

  /** The tags of some checkpoints: checkpoint id, tag. */
  static Sql tagsOf(List<String> checkpointIds) {
    return whereIn("SELECT checkpoint_id, tag FROM tags", "checkpoint_id", checkpointIds, "tag");
  }

  /** The aliases of some runs: run, step, alias. */
  static Sql aliasesOf(List<String> runs) {
    return whereIn("SELECT run_id, step, alias FROM aliases", "run_id", runs, "alias");
  }

  /** {@code select} restricted to rows whose {@code column} is one of {@code values}, in order. */
  private static Sql whereIn(String select, String column, List<String> values, String orderBy) {
    return new Sql(
        select
            + " WHERE "
            + column
            + " IN ("
            + placeholders(values.size())
            + ") ORDER BY "
            + orderBy,
        new ArrayList<>(values));
  }

  /**
   * The metric as a column name: only one of {@link #METRICS} ever enters SQL text.
   *
   * @throws ApiException 400 for any other name
   */
  static String metric(String name) {
    if (!METRICS.contains(name)) {
      throw ApiException.badRequest("unknown metric '" + name + "': use one of top1, top5, nll");
    }
    return name;
  }

  private static String placeholders(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("an IN list needs at least one value");
    }
    return String.join(", ", Collections.nCopies(n, "?"));
  }

  /** Appends {@code AND condition} with its one parameter, when a value for it is given. */
  private static void where(StringBuilder sql, List<Object> args, String condition, Object value) {
    if (value != null) {
      sql.append(" AND ").append(condition);
      args.add(value);
    }
  }
}
