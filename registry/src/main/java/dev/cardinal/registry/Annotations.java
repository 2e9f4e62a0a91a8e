package dev.cardinal.registry;

import dev.cardinal.core.event.CheckpointEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Aliases and tags users set on checkpoints. Changes go through the single writer, each in its own
 * transaction, so the existence check and the change see the same database.
 */
final class Annotations {
  private final StoreConnections connections;

  Annotations(StoreConnections connections) {
    this.connections = connections;
  }

  /**
   * Points {@code alias} of a run at a step, replacing where it pointed before.
   *
   * @throws ApiException 404 when the run has no such checkpoint
   */
  void setAlias(String run, String alias, long step) {
    writeOnCheckpoint(
        run,
        step,
        "INSERT INTO aliases (run_id, alias, step, updated_at_ms) VALUES (?, ?, ?, ?)"
            + " ON CONFLICT (run_id, alias) DO UPDATE SET step = excluded.step,"
            + " updated_at_ms = excluded.updated_at_ms",
        run,
        alias,
        step,
        System.currentTimeMillis());
  }

  /** Removes an alias; true when it existed. */
  boolean removeAlias(String run, String alias) {
    return connections.write(
        c -> update(c, "DELETE FROM aliases WHERE run_id = ? AND alias = ?", run, alias) > 0);
  }

  /** The step an alias points at. */
  Optional<Long> alias(String run, String alias) {
    return connections.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT step FROM aliases WHERE run_id = ? AND alias = ?")) {
            ps.setString(1, run);
            ps.setString(2, alias);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(rs.getLong(1)) : Optional.<Long>empty();
            }
          }
        });
  }

  /** Every alias of a run, alias to step. */
  Map<String, Long> aliases(String run) {
    return connections.read(c -> aliasesOf(c, run));
  }

  /** Every alias of a run on a connection the caller holds (a summary reads it with more). */
  static Map<String, Long> aliasesOf(Connection c, String run) throws SQLException {
    Map<String, Long> out = new TreeMap<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT alias, step FROM aliases WHERE run_id = ?")) {
      ps.setString(1, run);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    return out;
  }

  /**
   * Tags a checkpoint (tagging twice is harmless).
   *
   * @throws ApiException 404 when there is no such checkpoint
   */
  void addTag(String run, long step, String tag) {
    writeOnCheckpoint(
        run,
        step,
        "INSERT INTO tags (checkpoint_id, tag) VALUES (?, ?)"
            + " ON CONFLICT (checkpoint_id, tag) DO NOTHING",
        CheckpointEvent.checkpointId(run, step),
        tag);
  }

  /** Removes a tag; true when the checkpoint had it. */
  boolean removeTag(String run, long step, String tag) {
    return connections.write(
        c ->
            update(
                    c,
                    "DELETE FROM tags WHERE checkpoint_id = ? AND tag = ?",
                    CheckpointEvent.checkpointId(run, step),
                    tag)
                > 0);
  }

  /**
   * Runs an INSERT about a checkpoint of the run, in the transaction that checks it exists.
   *
   * @throws ApiException 404 when the run has no such checkpoint
   */
  private void writeOnCheckpoint(String run, long step, String sql, Object... args) {
    connections.write(
        c -> {
          requireCheckpoint(c, run, step);
          return update(c, sql, args);
        });
  }

  /** Runs an INSERT or DELETE with its arguments: how many rows it changed. */
  private static int update(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      Rows.bind(ps, List.of(args));
      return ps.executeUpdate();
    }
  }

  private static void requireCheckpoint(Connection c, String run, long step) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM checkpoints WHERE checkpoint_id = ?")) {
      ps.setString(1, CheckpointEvent.checkpointId(run, step));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw ApiException.notFound("run " + run + " has no checkpoint at step " + step);
        }
      }
    }
  }
}
