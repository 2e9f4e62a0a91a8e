package dev.cardinal.registry;

import dev.cardinal.core.event.BestEvaluation;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Answers about runs as a whole: each run's summary, its best checkpoint, and row counts. */
final class Summaries {
  /** Per run: checkpoints not deleted, latest step and time, the model at the latest step. */
  private static final String COUNTS =
      "SELECT c.run_id, SUM(CASE WHEN c.deleted = 0 THEN 1 ELSE 0 END),"
          + " MAX(c.step), MAX(c.created_at_ms),"
          + " (SELECT c2.model FROM checkpoints c2 WHERE c2.run_id = c.run_id"
          + " ORDER BY c2.step DESC LIMIT 1)"
          + " FROM checkpoints c GROUP BY c.run_id"
          + " ORDER BY MAX(c.created_at_ms) DESC, c.run_id";

  /**
   * Per run: its best scored evaluation by {@link ListingSql#bestFirst}, of a checkpoint that
   * retention has not deleted (what {@link #best} answers too). An evaluation whose checkpoint row
   * has not arrived yet counts.
   */
  private static final String BEST =
      "SELECT run_id, step, resolution, weights, top1, nll FROM (SELECT e.*,"
          + " ROW_NUMBER() OVER (PARTITION BY e.run_id ORDER BY "
          + ListingSql.bestFirst("e")
          + ") AS rank FROM evaluations e WHERE e.top1 IS NOT NULL AND NOT EXISTS"
          + " (SELECT 1 FROM checkpoints c WHERE c.checkpoint_id = e.checkpoint_id"
          + " AND c.deleted = 1)) ranked"
          + " WHERE rank = 1 ORDER BY run_id";

  /** Per run: the verdict at its highest judged step (the latest evaluation there). */
  private static final String VERDICTS =
      "SELECT run_id, step, verdict FROM (SELECT e.run_id, e.step, e.verdict,"
          + " ROW_NUMBER() OVER (PARTITION BY e.run_id ORDER BY e.step DESC,"
          + " e.evaluated_at_ms DESC, e.evaluation_id DESC) AS rank"
          + " FROM evaluations e WHERE e.verdict IS NOT NULL) ranked"
          + " WHERE rank = 1 ORDER BY run_id";

  private final StoreConnections connections;

  Summaries(StoreConnections connections) {
    this.connections = connections;
  }

  /** A run's checkpoint count, latest step and model, before its best score and verdict. */
  private record Counts(String model, long checkpoints, long latestStep, long latestAtMs) {}

  /** Where a run's best evaluation (by core's {@link BestEvaluation} rule) was reached. */
  private record BestTop1(double top1, Double nll, long step, int resolution, String weights) {
    BestEvaluation.Score score() {
      return new BestEvaluation.Score(top1, nll, resolution, weights, step);
    }
  }

  /** The verdict at a run's highest judged step. */
  private record Verdict(String verdict, long step) {}

  /** Every run with a summary, most recently active first. */
  List<Views.Run> runs() {
    return connections.read(
        c -> {
          Map<String, Counts> counts = counts(c);
          Map<String, BestTop1> best = bestTop1(c);
          Map<String, Verdict> verdicts = verdicts(c);
          Map<String, Integer> ranks = leaderboardRanks(best);
          // A run with evaluations but no checkpoint row yet is listed after the others.
          List<String> order = new ArrayList<>(counts.keySet());
          best.keySet().stream().filter(r -> !counts.containsKey(r)).forEach(order::add);
          List<Views.Run> out = new ArrayList<>();
          for (String run : order) {
            Counts n = counts.get(run);
            BestTop1 b = best.get(run);
            Verdict v = verdicts.get(run);
            out.add(
                new Views.Run(
                    run,
                    n == null ? null : n.model(),
                    n == null ? 0 : n.checkpoints(),
                    n == null ? null : n.latestStep(),
                    n == null ? null : n.latestAtMs(),
                    b == null ? null : b.top1(),
                    b == null ? null : b.step(),
                    b == null ? null : b.resolution(),
                    b == null ? null : b.weights(),
                    ranks.get(run),
                    v == null ? null : v.verdict(),
                    v == null ? null : v.step(),
                    Annotations.aliasesOf(c, run)));
          }
          return out;
        });
  }

  private static Map<String, Counts> counts(Connection c) throws SQLException {
    return byRun(
        c, COUNTS, rs -> new Counts(rs.getString(5), rs.getLong(2), rs.getLong(3), rs.getLong(4)));
  }

  private static Map<String, BestTop1> bestTop1(Connection c) throws SQLException {
    return byRun(
        c,
        BEST,
        rs ->
            new BestTop1(
                rs.getDouble(5),
                Rows.nullableDouble(rs, 6),
                rs.getLong(2),
                rs.getInt(3),
                rs.getString(4)));
  }

  private static Map<String, Verdict> verdicts(Connection c) throws SQLException {
    return byRun(c, VERDICTS, rs -> new Verdict(rs.getString(3), rs.getLong(2)));
  }

  /** Reads one value from the current row of a result. */
  private interface RowReader<T> {
    T read(ResultSet rs) throws SQLException;
  }

  /** The rows of a query whose first column is the run, by run in the query's order. */
  private static <T> Map<String, T> byRun(Connection c, String sql, RowReader<T> row)
      throws SQLException {
    Map<String, T> out = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.put(rs.getString(1), row.read(rs));
      }
    }
    return out;
  }

  /**
   * Each run's place on the leaderboard, 1 the best: runs ranked by their best evaluations with the
   * same rule, equal ones by name. Runs without a scored evaluation have no place.
   */
  private static Map<String, Integer> leaderboardRanks(Map<String, BestTop1> best) {
    Comparator<Map.Entry<String, BestTop1>> bestFirst =
        Comparator.<Map.Entry<String, BestTop1>, BestEvaluation.Score>comparing(
                e -> e.getValue().score(), BestEvaluation.WORST_TO_BEST)
            .reversed()
            .thenComparing(Map.Entry::getKey);
    List<Map.Entry<String, BestTop1>> ranked = best.entrySet().stream().sorted(bestFirst).toList();
    Map<String, Integer> out = new LinkedHashMap<>();
    for (int i = 0; i < ranked.size(); i++) {
      out.put(ranked.get(i).getKey(), i + 1);
    }
    return out;
  }

  /**
   * The run's best existing checkpoint by an evaluation metric: highest top1/top5, lowest nll.
   *
   * @param resolution only evaluations at this resolution, or null for any
   * @param weights only {@code raw} or {@code ema} evaluations, or null for either
   * @throws ApiException 400 for a metric other than top1, top5, nll
   */
  Optional<Views.Best> best(String run, String metric, Integer resolution, String weights) {
    ListingSql.Sql sql = ListingSql.best(run, metric, resolution, weights);
    return connections.read(
        c -> {
          Views.Evaluation evaluation;
          long step;
          try (PreparedStatement ps = Listings.prepare(c, sql);
              ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              return Optional.<Views.Best>empty();
            }
            evaluation = Rows.evaluation(rs);
            step = rs.getLong(EvaluationColumn.COUNT + 1);
          }
          double value =
              switch (metric) {
                case "top1" -> evaluation.result().scores().top1();
                case "top5" -> evaluation.result().scores().top5();
                default -> evaluation.result().scores().nll();
              };
          Views.Checkpoint checkpoint = Listings.find(c, run, step);
          return Optional.of(new Views.Best(metric, value, evaluation, checkpoint));
        });
  }

  /** Rows in the checkpoint table, deleted ones included. */
  long checkpointCount() {
    return count("SELECT COUNT(*) FROM checkpoints");
  }

  long evaluationCount() {
    return count("SELECT COUNT(*) FROM evaluations");
  }

  private long count(String sql) {
    return connections.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql);
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
          }
        });
  }
}
