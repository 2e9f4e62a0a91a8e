package dev.cardinal.registry;

import dev.cardinal.core.event.BestEvaluation;
import dev.cardinal.core.event.BestScore;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Verdict;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the checkpoint listings on a reader: pages in the query's order, one checkpoint, and the
 * points of the score charts, each checkpoint with its evaluations, tags and aliases. The SQL comes
 * from {@link ListingSql}; the rows become views through {@link Rows}.
 */
final class Listings {
  private final StoreConnections connections;

  Listings(StoreConnections connections) {
    this.connections = connections;
  }

  /** A page of checkpoints in the query's order, with their evaluations. */
  Views.Page list(CheckpointQuery q) {
    ListingSql.Sql sql = ListingSql.page(q);
    return connections.read(
        c -> {
          List<Views.StoredCheckpoint> rows = new ArrayList<>();
          List<String> sortValues = new ArrayList<>();
          try (PreparedStatement ps = prepare(c, sql);
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              rows.add(Rows.checkpoint(rs));
              sortValues.add(
                  q.sortsByScore()
                      ? Double.toString(rs.getDouble(ListingSql.SORT_VALUE_COLUMN))
                      : Long.toString(rs.getLong(ListingSql.SORT_VALUE_COLUMN)));
            }
          }
          String next = null;
          if (rows.size() > q.limit()) {
            rows = rows.subList(0, q.limit());
            Views.StoredCheckpoint last = rows.get(rows.size() - 1);
            next =
                new Cursor(
                        q.sort(),
                        q.descending(),
                        sortValues.get(q.limit() - 1),
                        last.createdAtMs(),
                        last.step(),
                        last.run())
                    .encode();
          }
          return new Views.Page(withDetails(c, rows), next);
        });
  }

  /** One checkpoint (also a deleted one) with its evaluations. */
  Optional<Views.Checkpoint> find(String run, long step) {
    return connections.read(c -> Optional.ofNullable(find(c, run, step)));
  }

  /** One checkpoint with its details on a connection the caller holds, or null. */
  static Views.Checkpoint find(Connection c, String run, long step) throws SQLException {
    try (PreparedStatement ps =
            prepare(c, ListingSql.checkpoint(CheckpointEvent.checkpointId(run, step)));
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? withDetails(c, List.of(Rows.checkpoint(rs))).get(0) : null;
    }
  }

  /**
   * Scored evaluations of existing checkpoints, by run and step: what the UI draws as top-1 over
   * steps. At most {@code limit} rows, the latest steps of each run when there are more.
   */
  List<Views.EvaluationPoint> evaluationPoints(String run, int limit) {
    ListingSql.Sql sql = ListingSql.evaluationPoints(run, limit);
    return connections.read(
        c -> {
          List<Views.EvaluationPoint> out = new ArrayList<>();
          try (PreparedStatement ps = prepare(c, sql);
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(
                  new Views.EvaluationPoint(
                      rs.getString(1),
                      rs.getLong(2),
                      rs.getInt(3),
                      rs.getString(4),
                      Rows.nullableDouble(rs, 5),
                      Rows.nullableDouble(rs, 6),
                      Rows.nullableDouble(rs, 7),
                      Rows.nullableDouble(rs, 8),
                      Rows.nullableDouble(rs, 9)));
            }
          }
          Collections.reverse(out);
          return out;
        });
  }

  static PreparedStatement prepare(Connection c, ListingSql.Sql sql) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql.text());
    try {
      Rows.bind(ps, sql.args());
      return ps;
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
  }

  /** Adds evaluations, tags and aliases to checkpoint rows, keeping their order. */
  static List<Views.Checkpoint> withDetails(Connection c, List<Views.StoredCheckpoint> rows)
      throws SQLException {
    if (rows.isEmpty()) {
      return List.of();
    }
    List<String> ids = rows.stream().map(Views.StoredCheckpoint::id).toList();
    Map<String, List<Views.Evaluation>> evaluations = new LinkedHashMap<>();
    try (PreparedStatement ps = prepare(c, ListingSql.evaluationsOf(ids));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        evaluations
            .computeIfAbsent(rs.getString(EvaluationColumn.COUNT + 1), k -> new ArrayList<>())
            .add(Rows.evaluation(rs));
      }
    }
    Map<String, List<String>> tags = new LinkedHashMap<>();
    try (PreparedStatement ps = prepare(c, ListingSql.tagsOf(ids));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        tags.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
      }
    }
    Map<String, List<String>> aliases = new LinkedHashMap<>();
    List<String> runs = rows.stream().map(Views.StoredCheckpoint::run).distinct().toList();
    try (PreparedStatement ps = prepare(c, ListingSql.aliasesOf(runs));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        aliases
            .computeIfAbsent(
                CheckpointEvent.checkpointId(rs.getString(1), rs.getLong(2)),
                k -> new ArrayList<>())
            .add(rs.getString(3));
      }
    }
    List<Views.Checkpoint> out = new ArrayList<>(rows.size());
    for (Views.StoredCheckpoint row : rows) {
      List<Views.Evaluation> scores = evaluations.getOrDefault(row.id(), List.of());
      Views.Evaluation judged = latestVerdict(scores);
      out.add(
          new Views.Checkpoint(
              row,
              tags.getOrDefault(row.id(), List.of()),
              aliases.getOrDefault(row.id(), List.of()),
              bestOf(scores),
              judged == null ? Verdict.NONE : judged.result().regularization(),
              scores));
    }
    return out;
  }

  /** The checkpoint's best scored evaluation by core's {@link BestEvaluation} rule. */
  private static BestScore bestOf(List<Views.Evaluation> evaluations) {
    List<EvaluationResult> scored =
        evaluations.stream()
            .map(Views.Evaluation::result)
            .filter(r -> r.scores().top1() != null)
            .toList();
    return BestEvaluation.among(scored, BestEvaluation::scoreOf)
        .map(BestScore::of)
        .orElse(BestScore.NONE);
  }

  /**
   * The evaluation whose verdict stands for the checkpoint. The evaluator judges the run once per
   * checkpoint and stamps that verdict on each of its evaluations, so they agree; should a later
   * evaluation disagree (a re-evaluation), the latest one wins.
   */
  private static Views.Evaluation latestVerdict(List<Views.Evaluation> evaluations) {
    return evaluations.stream()
        .filter(e -> e.result().regularization().verdict() != null)
        .max(Views.Evaluation.LATEST_LAST)
        .orElse(null);
  }
}
