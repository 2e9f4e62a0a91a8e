package dev.cardinal.registry;

import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.core.wire.WireFormatException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/**
 * Folds {@link SweepEvent}s into the {@code sweeps} and {@code sweep_points} tables, and checks
 * each event before it is folded. Every write is idempotent: a redelivered definition adds no point
 * (a point is keyed by its sweep and {@code pointId}), and a redelivered progress event writes the
 * same state again.
 */
final class SweepWriter {
  /** Points one definition may add: far more than a study on one stream can train. */
  static final int MAX_POINTS = 10_000;

  /** Longest id or name accepted from the topic (run ids are at most 64 characters). */
  static final int MAX_NAME = 200;

  /** Longest message (a failure's reason) kept; a longer one is cut, not refused. */
  static final int MAX_MESSAGE = 4_000;

  /** A point's state before its first progress event. */
  static final String PENDING = "pending";

  private static final Set<String> KINDS =
      Set.of(
          SweepEvent.DEFINED, SweepEvent.PROGRESS, SweepEvent.STOP_REQUESTED, SweepEvent.STOPPED);
  private static final Set<String> POINT_STATES =
      Set.of(SweepEvent.RUNNING, SweepEvent.DONE, SweepEvent.STOPPED, SweepEvent.FAILED);

  /** A new sweep is running; a definition after a stop (a resume or an extension) runs it again. */
  private static final String UPSERT_SWEEP =
      "INSERT INTO sweeps (sweep_id, dataset, budget_samples, state, message, created_at_ms,"
          + " updated_at_ms) VALUES (?, ?, ?, ?, NULL, ?, ?) ON CONFLICT (sweep_id) DO UPDATE SET"
          + " dataset = COALESCE(excluded.dataset, sweeps.dataset), budget_samples ="
          + " excluded.budget_samples, state = excluded.state, message = NULL, updated_at_ms ="
          + " excluded.updated_at_ms";

  private static final String INSERT_POINT =
      "INSERT INTO sweep_points (sweep_id, point_id, run_id, preset, family, width_multiplier,"
          + " depth, train_resolution, regularization, macs, parameters, state, samples_trained,"
          + " train_images_per_second, message, defined_at_ms, updated_at_ms)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?)"
          + " ON CONFLICT (sweep_id, point_id) DO NOTHING";

  /** A measured rate is kept until a newer one comes: a progress event may not carry one. */
  private static final String UPDATE_POINT =
      "UPDATE sweep_points SET state = ?, samples_trained = ?,"
          + " train_images_per_second = COALESCE(?, train_images_per_second), message = ?,"
          + " updated_at_ms = ? WHERE sweep_id = ? AND point_id = ?";

  /** A point running again after a stop means the sweep was resumed. */
  private static final String RESUMED =
      "UPDATE sweeps SET state = ?, message = NULL, updated_at_ms = ? WHERE sweep_id = ?"
          + " AND state = ?";

  private static final String LIFECYCLE =
      "UPDATE sweeps SET state = ?, message = ?, updated_at_ms = ? WHERE sweep_id = ?";

  private SweepWriter() {}

  /**
   * Checks what the fold relies on, so that a malformed event is dead-lettered with a reason
   * instead of failing a batch or leaving a half-defined point.
   *
   * @throws WireFormatException naming the first thing wrong
   */
  static SweepEvent check(SweepEvent e) {
    name(e.sweepId(), "sweepId");
    require(
        e.kind() != null && KINDS.contains(e.kind()),
        "sweep event kind must be one of " + KINDS + ", got " + e.kind());
    switch (e.kind()) {
      case SweepEvent.DEFINED -> {
        require(e.points() != null, "sweep definition has no points list");
        require(
            e.points().size() <= MAX_POINTS,
            "sweep definition has " + e.points().size() + " points, more than " + MAX_POINTS);
        require(
            e.budgetSamples() != null && e.budgetSamples() > 0,
            "sweep definition needs a positive budgetSamples, got " + e.budgetSamples());
        require(
            e.dataset() == null || e.dataset().length() <= MAX_NAME,
            "sweep definition's dataset name is too long");
        e.points().forEach(SweepWriter::checkPoint);
      }
      case SweepEvent.PROGRESS -> {
        name(e.pointId(), "pointId");
        require(
            e.state() != null && POINT_STATES.contains(e.state()),
            "sweep progress state must be one of " + POINT_STATES + ", got " + e.state());
        require(
            e.samplesTrained() != null && e.samplesTrained() >= 0,
            "sweep progress needs samplesTrained of 0 or more, got " + e.samplesTrained());
        Double rate = e.trainImagesPerSecond();
        require(
            rate == null || (Double.isFinite(rate) && rate >= 0),
            "sweep progress trainImagesPerSecond must be a finite number of 0 or more, got "
                + rate);
      }
      default -> {
        // A stop request or a stop carries only the sweep id and its message.
      }
    }
    return e;
  }

  private static void checkPoint(SweepPoint p) {
    require(p != null, "sweep definition has a null point");
    name(p.pointId(), "point pointId");
    name(p.runId(), "point runId");
    name(p.preset(), "point preset");
    require(p.family() == null || p.family().length() <= MAX_NAME, "point family is too long");
    require(
        Double.isFinite(p.widthMultiplier()) && p.widthMultiplier() > 0,
        "point "
            + p.pointId()
            + " has widthMultiplier "
            + p.widthMultiplier()
            + ", not a positive number");
    require(
        p.depth() == null || p.depth() > 0,
        "point " + p.pointId() + " has depth " + p.depth() + ", not positive");
    require(
        p.trainResolution() > 0,
        "point " + p.pointId() + " has trainResolution " + p.trainResolution() + ", not positive");
    require(
        Double.isFinite(p.regularization()) && p.regularization() >= 0,
        "point "
            + p.pointId()
            + " has regularization "
            + p.regularization()
            + ", not a number of 0 or more");
    require(
        p.macs() >= 0 && p.parameters() >= 0,
        "point " + p.pointId() + " has negative MACs or parameters");
  }

  private static void name(String value, String what) {
    require(value != null && !value.isBlank(), "sweep event has no " + what);
    require(
        value.length() <= MAX_NAME,
        "sweep event " + what + " is longer than " + MAX_NAME + " characters");
  }

  private static void require(boolean condition, String reason) {
    if (!condition) {
      throw new WireFormatException(reason);
    }
  }

  /** Folds one checked event into the tables on the caller's transaction. */
  static void apply(Connection c, SweepEvent e) throws SQLException {
    switch (e.kind()) {
      case SweepEvent.DEFINED -> define(c, e);
      case SweepEvent.PROGRESS -> progress(c, e);
      default -> {
        try (PreparedStatement ps = c.prepareStatement(LIFECYCLE)) {
          ps.setString(1, e.kind());
          ps.setString(2, bounded(e.message()));
          ps.setLong(3, e.atMs());
          ps.setString(4, e.sweepId());
          ps.executeUpdate();
        }
      }
    }
  }

  private static void define(Connection c, SweepEvent e) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(UPSERT_SWEEP)) {
      ps.setString(1, e.sweepId());
      ps.setString(2, e.dataset());
      ps.setLong(3, e.budgetSamples());
      ps.setString(4, SweepEvent.RUNNING);
      ps.setLong(5, e.atMs());
      ps.setLong(6, e.atMs());
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement(INSERT_POINT)) {
      for (SweepPoint p : e.points()) {
        ps.setString(1, e.sweepId());
        ps.setString(2, p.pointId());
        ps.setString(3, p.runId());
        ps.setString(4, p.preset());
        ps.setString(5, p.family());
        ps.setDouble(6, p.widthMultiplier());
        Rows.setInteger(ps, 7, p.depth());
        ps.setInt(8, p.trainResolution());
        ps.setDouble(9, p.regularization());
        ps.setLong(10, p.macs());
        ps.setLong(11, p.parameters());
        ps.setString(12, PENDING);
        ps.setLong(13, e.atMs());
        ps.setLong(14, e.atMs());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** A progress event of a point the sweep never defined changes nothing. */
  private static void progress(Connection c, SweepEvent e) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(UPDATE_POINT)) {
      ps.setString(1, e.state());
      ps.setLong(2, e.samplesTrained());
      Rows.setDouble(ps, 3, e.trainImagesPerSecond());
      ps.setString(4, bounded(e.message()));
      ps.setLong(5, e.atMs());
      ps.setString(6, e.sweepId());
      ps.setString(7, e.pointId());
      ps.executeUpdate();
    }
    if (SweepEvent.RUNNING.equals(e.state())) {
      try (PreparedStatement ps = c.prepareStatement(RESUMED)) {
        ps.setString(1, SweepEvent.RUNNING);
        ps.setLong(2, e.atMs());
        ps.setString(3, e.sweepId());
        ps.setString(4, SweepEvent.STOPPED);
        ps.executeUpdate();
      }
    }
  }

  private static String bounded(String message) {
    return message == null || message.length() <= MAX_MESSAGE
        ? message
        : message.substring(0, MAX_MESSAGE) + "…";
  }

  /** The tables a rebuild empties. */
  static final List<String> TABLES = List.of("sweep_points", "sweeps");
}
