package dev.cardinal.registry;

import static dev.cardinal.registry.EvaluationColumn.BEST_RESOLUTION;
import static dev.cardinal.registry.EvaluationColumn.CROP_FRACTION;
import static dev.cardinal.registry.EvaluationColumn.ECE;
import static dev.cardinal.registry.EvaluationColumn.ERROR;
import static dev.cardinal.registry.EvaluationColumn.EVALUATED_AT_MS;
import static dev.cardinal.registry.EvaluationColumn.ID;
import static dev.cardinal.registry.EvaluationColumn.IMAGES;
import static dev.cardinal.registry.EvaluationColumn.NLL;
import static dev.cardinal.registry.EvaluationColumn.PER_CLASS_ACCURACY;
import static dev.cardinal.registry.EvaluationColumn.RESOLUTION;
import static dev.cardinal.registry.EvaluationColumn.SINGLE_VIEW_TOP1;
import static dev.cardinal.registry.EvaluationColumn.TEST_FLIP;
import static dev.cardinal.registry.EvaluationColumn.TOP1;
import static dev.cardinal.registry.EvaluationColumn.TOP5;
import static dev.cardinal.registry.EvaluationColumn.TRAIN_EVAL_GAP;
import static dev.cardinal.registry.EvaluationColumn.TRAIN_RESOLUTION;
import static dev.cardinal.registry.EvaluationColumn.TRAIN_TOP1;
import static dev.cardinal.registry.EvaluationColumn.VERDICT;
import static dev.cardinal.registry.EvaluationColumn.VERDICT_EVIDENCE;
import static dev.cardinal.registry.EvaluationColumn.VERDICT_REASON;
import static dev.cardinal.registry.EvaluationColumn.WEIGHTS;

import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.SweepEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes checkpoint and evaluation events as rows, and hands sweep events to {@link SweepWriter}.
 * Every write is an idempotent upsert keyed by the event's id, so replaying a topic never
 * duplicates a row. All SQL uses bound parameters.
 */
final class EventWriter {
  private static final String INSERT_CHECKPOINT =
      "INSERT INTO checkpoints (checkpoint_id, run_id, step, epoch, samples_seen, model,"
          + " bucket, prefix, spec, schedule, train_metrics, created_at_ms, deleted,"
          + " deleted_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /** A creation (also a redelivered one) rewrites the row and clears the deletion mark. */
  private static final String UPSERT_CREATED =
      INSERT_CHECKPOINT
          + " ON CONFLICT (checkpoint_id) DO UPDATE SET run_id = excluded.run_id,"
          + " step = excluded.step, epoch = excluded.epoch,"
          + " samples_seen = excluded.samples_seen, model = excluded.model,"
          + " bucket = excluded.bucket, prefix = excluded.prefix, spec = excluded.spec,"
          + " schedule = excluded.schedule, train_metrics = excluded.train_metrics,"
          + " created_at_ms = excluded.created_at_ms, deleted = 0, deleted_at_ms = NULL";

  /** A deletion keeps what was recorded at creation and only marks the row. */
  private static final String UPSERT_DELETED =
      INSERT_CHECKPOINT
          + " ON CONFLICT (checkpoint_id) DO UPDATE SET deleted = 1,"
          + " deleted_at_ms = excluded.deleted_at_ms";

  /**
   * The columns an evaluation is written to: its own ({@link EvaluationColumn}), then those that
   * place it with its checkpoint, in the order {@link #upsert(Connection, EvaluationEvent)} binds
   * them.
   */
  static final List<String> EVALUATION_COLUMNS = evaluationColumns();

  private static final int CHECKPOINT_ID = EvaluationColumn.COUNT + 1;
  private static final int RUN_ID = EvaluationColumn.COUNT + 2;
  private static final int STEP = EvaluationColumn.COUNT + 3;

  /**
   * Inserts an evaluation or, for an id already stored, rewrites every column, the optional ones
   * too: the latest delivery of an id wins, as a rebuild from the topic would have it.
   */
  private static final String UPSERT_EVALUATION = upsertEvaluationSql();

  private EventWriter() {}

  private static List<String> evaluationColumns() {
    List<String> columns = new ArrayList<>();
    for (EvaluationColumn column : EvaluationColumn.values()) {
      columns.add(column.sql);
    }
    columns.addAll(List.of("checkpoint_id", "run_id", "step"));
    return List.copyOf(columns);
  }

  private static String upsertEvaluationSql() {
    List<String> updates = new ArrayList<>();
    for (String column : EVALUATION_COLUMNS.subList(1, EVALUATION_COLUMNS.size())) {
      updates.add(column + " = excluded." + column);
    }
    return "INSERT INTO evaluations ("
        + String.join(", ", EVALUATION_COLUMNS)
        + ") VALUES ("
        + String.join(", ", Collections.nCopies(EVALUATION_COLUMNS.size(), "?"))
        + ") ON CONFLICT (evaluation_id) DO UPDATE SET "
        + String.join(", ", updates);
  }

  /**
   * Applies events in order on the connection (the caller owns the transaction).
   *
   * @throws IllegalArgumentException for an element that is no registry event
   */
  static void apply(Connection connection, List<?> events) throws SQLException {
    for (Object event : events) {
      if (event instanceof CheckpointEvent c) {
        upsert(connection, c);
      } else if (event instanceof EvaluationEvent e) {
        upsert(connection, e);
      } else if (event instanceof SweepEvent s) {
        SweepWriter.apply(connection, s);
      } else {
        throw new IllegalArgumentException("not a registry event: " + event);
      }
    }
  }

  private static void upsert(Connection connection, CheckpointEvent e) throws SQLException {
    boolean deleted = CheckpointEvent.DELETED.equals(e.kind());
    try (PreparedStatement ps =
        connection.prepareStatement(deleted ? UPSERT_DELETED : UPSERT_CREATED)) {
      ps.setString(1, e.checkpointId());
      ps.setString(2, e.runId());
      ps.setLong(3, e.step());
      ps.setInt(4, e.epoch());
      ps.setLong(5, e.samplesSeen());
      ps.setString(6, e.model());
      ps.setString(7, e.bucket());
      ps.setString(8, e.prefix());
      ps.setString(9, e.spec() == null ? null : Json.toString(e.spec()));
      ps.setString(10, e.schedule() == null ? null : Json.toString(e.schedule()));
      ps.setString(11, e.trainMetrics() == null ? null : Json.toString(e.trainMetrics()));
      ps.setLong(12, e.createdAtMs());
      ps.setInt(13, deleted ? 1 : 0);
      if (deleted) {
        // The event of a deletion is stamped when retention deleted the objects.
        ps.setLong(14, e.createdAtMs());
      } else {
        ps.setNull(14, Types.BIGINT);
      }
      ps.executeUpdate();
    }
  }

  private static void upsert(Connection connection, EvaluationEvent e) throws SQLException {
    EvaluationResult r = e.result();
    try (PreparedStatement ps = connection.prepareStatement(UPSERT_EVALUATION)) {
      ps.setString(ID.index(), e.evaluationId());
      ps.setInt(RESOLUTION.index(), r.plan().resolution());
      ps.setString(WEIGHTS.index(), r.plan().weights());
      Rows.setInteger(ps, TRAIN_RESOLUTION.index(), r.plan().trainResolution());
      Rows.setDouble(ps, CROP_FRACTION.index(), r.plan().cropFraction());
      Rows.setBoolean(ps, TEST_FLIP.index(), r.plan().testFlip());
      ps.setLong(IMAGES.index(), r.scores().images());
      Rows.setDouble(ps, TOP1.index(), r.scores().top1());
      Rows.setDouble(ps, TOP5.index(), r.scores().top5());
      Rows.setDouble(ps, NLL.index(), r.scores().nll());
      Rows.setDouble(ps, ECE.index(), r.scores().ece());
      ps.setString(PER_CLASS_ACCURACY.index(), perClassJson(r.scores().perClassAccuracy()));
      Rows.setDouble(ps, SINGLE_VIEW_TOP1.index(), r.scores().singleViewTop1());
      ps.setString(ERROR.index(), r.error());
      ps.setLong(EVALUATED_AT_MS.index(), r.evaluatedAtMs());
      Rows.setDouble(ps, TRAIN_TOP1.index(), r.gap().trainTop1());
      Rows.setDouble(ps, TRAIN_EVAL_GAP.index(), r.gap().trainEvalGap());
      Rows.setInteger(ps, BEST_RESOLUTION.index(), r.bestResolution());
      ps.setString(VERDICT.index(), r.regularization().verdict());
      ps.setString(VERDICT_REASON.index(), r.regularization().reason());
      ps.setString(VERDICT_EVIDENCE.index(), evidenceJson(r.regularization().evidence()));
      ps.setString(CHECKPOINT_ID, e.checkpointId());
      ps.setString(RUN_ID, e.runId());
      ps.setLong(STEP, e.step());
      ps.executeUpdate();
    }
  }

  /**
   * Per-class accuracy as a JSON array, a class without images (or a non-finite value) as null:
   * JSON has no NaN, and the mapper would write it as the string "NaN".
   */
  private static String perClassJson(List<Double> values) {
    if (values == null) {
      return null;
    }
    List<Double> finite = new ArrayList<>(values.size());
    for (Double v : values) {
      finite.add(v == null || !Double.isFinite(v) ? null : v);
    }
    return Json.toString(finite);
  }

  /** The verdict's evidence as a JSON object, without non-finite numbers (no evidence at all). */
  private static String evidenceJson(Map<String, Double> evidence) {
    if (evidence == null) {
      return null;
    }
    Map<String, Double> finite = new LinkedHashMap<>();
    evidence.forEach(
        (k, v) -> {
          if (k != null && v != null && Double.isFinite(v)) {
            finite.put(k, v);
          }
        });
    return Json.toString(finite);
  }
}
