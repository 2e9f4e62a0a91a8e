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

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.Scores;
import dev.cardinal.core.event.TrainEvalGap;
import dev.cardinal.core.event.Verdict;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Map;

/**
 * How stored rows become views: the column lists every read selects and the mapping of those
 * columns, in one place so a query and its mapping cannot drift apart.
 */
final class Rows {
  /** The checkpoint columns every read selects, in the order {@link #checkpoint} reads them. */
  static final String CHECKPOINT_COLUMNS =
      "c.checkpoint_id, c.run_id, c.step, c.epoch, c.samples_seen, c.model, c.bucket, c.prefix,"
          + " c.spec, c.schedule, c.train_metrics, c.created_at_ms, c.deleted, c.deleted_at_ms";

  static final int CHECKPOINT_COLUMN_COUNT = 14;

  private static final TypeReference<Map<String, Double>> DOUBLE_MAP = new TypeReference<>() {};
  private static final TypeReference<List<Double>> DOUBLE_LIST = new TypeReference<>() {};

  private Rows() {}

  /** Reads the {@link #CHECKPOINT_COLUMNS} at the start of a row. */
  static Views.StoredCheckpoint checkpoint(ResultSet rs) throws SQLException {
    return new Views.StoredCheckpoint(
        rs.getString(1),
        rs.getString(2),
        rs.getLong(3),
        rs.getInt(4),
        rs.getLong(5),
        rs.getString(6),
        rs.getString(7),
        rs.getString(8),
        RawJson.ofNullable(rs.getString(9)),
        RawJson.ofNullable(rs.getString(10)),
        RawJson.ofNullable(rs.getString(11)),
        rs.getLong(12),
        rs.getInt(13) != 0,
        nullableLong(rs, 14));
  }

  /** Reads the {@link EvaluationColumn#SELECTED} at the start of a row. */
  static Views.Evaluation evaluation(ResultSet rs) throws SQLException {
    EvaluationPlan plan =
        new EvaluationPlan(
            rs.getInt(RESOLUTION.index()),
            rs.getString(WEIGHTS.index()),
            nullableInteger(rs, TRAIN_RESOLUTION.index()),
            nullableDouble(rs, CROP_FRACTION.index()),
            nullableBoolean(rs, TEST_FLIP.index()));
    Scores scores =
        new Scores(
            rs.getLong(IMAGES.index()),
            nullableDouble(rs, TOP1.index()),
            nullableDouble(rs, TOP5.index()),
            nullableDouble(rs, NLL.index()),
            nullableDouble(rs, ECE.index()),
            doubleList(rs.getString(PER_CLASS_ACCURACY.index())),
            nullableDouble(rs, SINGLE_VIEW_TOP1.index()));
    TrainEvalGap gap =
        new TrainEvalGap(
            nullableDouble(rs, TRAIN_TOP1.index()), nullableDouble(rs, TRAIN_EVAL_GAP.index()));
    Verdict verdict =
        new Verdict(
            rs.getString(VERDICT.index()),
            rs.getString(VERDICT_REASON.index()),
            doubles(rs.getString(VERDICT_EVIDENCE.index())));
    return new Views.Evaluation(
        rs.getString(ID.index()),
        new EvaluationResult(
            plan,
            scores,
            rs.getString(ERROR.index()),
            rs.getLong(EVALUATED_AT_MS.index()),
            gap,
            nullableInteger(rs, BEST_RESOLUTION.index()),
            verdict));
  }

  static Double nullableDouble(ResultSet rs, int column) throws SQLException {
    double value = rs.getDouble(column);
    return rs.wasNull() ? null : value;
  }

  static Integer nullableInteger(ResultSet rs, int column) throws SQLException {
    int value = rs.getInt(column);
    return rs.wasNull() ? null : value;
  }

  /** A flag stored as 0 or 1 (portable between SQLite and PostgreSQL), or null when unknown. */
  static Boolean nullableBoolean(ResultSet rs, int column) throws SQLException {
    int value = rs.getInt(column);
    return rs.wasNull() ? null : value != 0;
  }

  /** A flag as 0 or 1, or SQL NULL when it is unknown. */
  static void setBoolean(PreparedStatement ps, int index, Boolean value) throws SQLException {
    setInteger(ps, index, value == null ? null : value ? 1 : 0);
  }

  static Long nullableLong(ResultSet rs, int column) throws SQLException {
    long value = rs.getLong(column);
    return rs.wasNull() ? null : value;
  }

  /** A number, or SQL NULL when it is unknown or not finite (a NaN of a failed evaluation). */
  static void setDouble(PreparedStatement ps, int index, Double value) throws SQLException {
    if (value == null || !Double.isFinite(value)) {
      ps.setNull(index, Types.DOUBLE);
    } else {
      ps.setDouble(index, value);
    }
  }

  /** A number, or SQL NULL when it is unknown. */
  static void setInteger(PreparedStatement ps, int index, Integer value) throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.INTEGER);
    } else {
      ps.setInt(index, value);
    }
  }

  /** Binds positional arguments of the types the SQL builders produce. */
  static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
    for (int i = 0; i < args.size(); i++) {
      Object arg = args.get(i);
      if (arg instanceof Long l) {
        ps.setLong(i + 1, l);
      } else if (arg instanceof Integer n) {
        ps.setInt(i + 1, n);
      } else if (arg instanceof Double d) {
        ps.setDouble(i + 1, d);
      } else if (arg instanceof String s) {
        ps.setString(i + 1, s);
      } else {
        throw new IllegalArgumentException("cannot bind " + arg + " as a SQL parameter");
      }
    }
  }

  private interface JsonReader<T> {
    T read(String json) throws JsonProcessingException;
  }

  /** A JSON text column as read by {@code reader}; null stays null. */
  private static <T> T storedJson(String json, JsonReader<T> reader) {
    if (json == null) {
      return null;
    }
    try {
      return reader.read(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored JSON is corrupt: " + e.getOriginalMessage(), e);
    }
  }

  private static List<Double> doubleList(String json) {
    return storedJson(json, j -> Json.MAPPER.readValue(j, DOUBLE_LIST));
  }

  private static Map<String, Double> doubles(String json) {
    return storedJson(json, j -> Json.MAPPER.readValue(j, DOUBLE_MAP));
  }
}
