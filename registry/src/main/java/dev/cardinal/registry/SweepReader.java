package dev.cardinal.registry;

import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepPoint;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads scaling studies: the list of sweeps, and one sweep with its points and the evaluations of
 * their runs, which {@link StudyAnswer} turns into the study's answer.
 */
final class SweepReader {
  private static final String SWEEP_COLUMNS =
      "s.sweep_id, s.dataset, s.budget_samples, s.state, s.message, s.created_at_ms,"
          + " s.updated_at_ms";

  /** The {@link #SWEEP_COLUMNS} after the id. */
  private record Head(
      String dataset,
      Long budgetSamples,
      String state,
      String message,
      long createdAtMs,
      long updatedAtMs) {
    static Head read(ResultSet rs) throws SQLException {
      return new Head(
          rs.getString(2),
          Rows.nullableLong(rs, 3),
          rs.getString(4),
          rs.getString(5),
          rs.getLong(6),
          rs.getLong(7));
    }
  }

  private final StoreConnections connections;

  SweepReader(StoreConnections connections) {
    this.connections = connections;
  }

  /** Every sweep, newest first. */
  List<Views.SweepSummary> list() {
    return connections.read(
        c -> {
          List<Views.SweepSummary> out = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + SWEEP_COLUMNS
                      + ", (SELECT COUNT(*) FROM sweep_points p WHERE p.sweep_id = s.sweep_id),"
                      + " (SELECT COUNT(*) FROM sweep_points p WHERE p.sweep_id = s.sweep_id"
                      + " AND p.state = ?),"
                      + " (SELECT COUNT(*) FROM sweep_points p WHERE p.sweep_id = s.sweep_id"
                      + " AND p.state = ?)"
                      + " FROM sweeps s ORDER BY s.created_at_ms DESC, s.sweep_id"); ) {
            ps.setString(1, SweepEvent.DONE);
            ps.setString(2, SweepEvent.FAILED);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                Head head = Head.read(rs);
                int points = rs.getInt(8);
                int done = rs.getInt(9);
                int failed = rs.getInt(10);
                out.add(
                    new Views.SweepSummary(
                        rs.getString(1),
                        head.dataset(),
                        head.budgetSamples(),
                        points,
                        done,
                        state(head.state(), points, done + failed),
                        head.message(),
                        head.createdAtMs(),
                        head.updatedAtMs()));
              }
            }
          }
          return out;
        });
  }

  /**
   * A running sweep whose points have all finished (done or failed) is done: the runner may still
   * be up, but nothing more will be trained until the sweep is extended.
   */
  private static String state(String stored, int points, int finished) {
    return SweepEvent.RUNNING.equals(stored) && points > 0 && finished == points
        ? SweepEvent.DONE
        : stored;
  }

  /** One sweep with the answer for each of its points, in the order they were defined. */
  Optional<Views.Sweep> find(String sweepId) {
    return connections.read(
        c -> {
          Head head;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + SWEEP_COLUMNS + " FROM sweeps s WHERE s.sweep_id = ?")) {
            ps.setString(1, sweepId);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.<Views.Sweep>empty();
              }
              head = Head.read(rs);
            }
          }
          List<StudyAnswer.PointRow> rows = points(c, sweepId);
          Map<String, List<StudyAnswer.Scored>> evaluations = new HashMap<>();
          Map<String, Integer> depths = new HashMap<>();
          for (StudyAnswer.PointRow row : rows) {
            String run = row.point().runId();
            evaluations.put(run, evaluations(c, run));
            Integer depth = latestSpecDepth(c, run);
            if (depth != null) {
              depths.put(run, depth);
            }
          }
          long finished =
              rows.stream()
                  .filter(
                      r -> SweepEvent.DONE.equals(r.state()) || SweepEvent.FAILED.equals(r.state()))
                  .count();
          return Optional.of(
              new Views.Sweep(
                  sweepId,
                  head.dataset(),
                  head.budgetSamples(),
                  state(head.state(), rows.size(), (int) finished),
                  head.message(),
                  head.createdAtMs(),
                  head.updatedAtMs(),
                  StudyAnswer.answer(rows, evaluations, depths)));
        });
  }

  private static List<StudyAnswer.PointRow> points(Connection c, String sweepId)
      throws SQLException {
    List<StudyAnswer.PointRow> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT point_id, run_id, preset, family, width_multiplier, depth, train_resolution,"
                + " regularization, macs, parameters, state, samples_trained,"
                + " train_images_per_second, message FROM sweep_points WHERE sweep_id = ?"
                + " ORDER BY defined_at_ms, point_id")) {
      ps.setString(1, sweepId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          SweepPoint point =
              new SweepPoint(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getDouble(5),
                  Rows.nullableInteger(rs, 6),
                  rs.getInt(7),
                  rs.getDouble(8),
                  rs.getLong(9),
                  rs.getLong(10));
          out.add(
              new StudyAnswer.PointRow(
                  point,
                  rs.getString(11),
                  rs.getLong(12),
                  Rows.nullableDouble(rs, 13),
                  rs.getString(14)));
        }
      }
    }
    return out;
  }

  private static List<StudyAnswer.Scored> evaluations(Connection c, String run)
      throws SQLException {
    List<StudyAnswer.Scored> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + EvaluationColumn.SELECTED
                + ", e.step FROM evaluations e WHERE e.run_id = ? ORDER BY e.step,"
                + " e.evaluation_id")) {
      ps.setString(1, run);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new StudyAnswer.Scored(rs.getLong(EvaluationColumn.COUNT + 1), Rows.evaluation(rs)));
        }
      }
    }
    return out;
  }

  /** The depth of the network the run's latest checkpoint holds, when its spec says. */
  private static Integer latestSpecDepth(Connection c, String run) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT spec FROM checkpoints WHERE run_id = ? AND spec IS NOT NULL"
                + " ORDER BY step DESC LIMIT 1")) {
      ps.setString(1, run);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        try {
          return StudyAnswer.depthOf(Json.MAPPER.readTree(rs.getString(1)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          return null;
        }
      }
    }
  }
}
