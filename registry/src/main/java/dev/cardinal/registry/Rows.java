package dev.cardinal.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.event.Json;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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

  /**
   * The evaluation columns every read selects, in the order {@link #evaluation} reads them; a query
   * may append columns after them.
   */
  static final String EVALUATION_COLUMNS =
      "e.evaluation_id, e.resolution, e.weights, e.images, e.top1, e.top5, e.nll, e.error,"
          + " e.evaluated_at_ms, e.ece, e.per_class_accuracy, e.train_resolution, e.crop_fraction,"
          + " e.train_top1, e.train_eval_gap, e.best_resolution, e.verdict, e.verdict_reason,"
          + " e.verdict_evidence";

  static final int EVALUATION_COLUMN_COUNT = 19;

  private static final TypeReference<Map<String, Double>> DOUBLE_MAP = new TypeReference<>() {};
  private static final TypeReference<List<Double>> DOUBLE_LIST = new TypeReference<>() {};

  private Rows() {}

  /** Reads the {@link #CHECKPOINT_COLUMNS} at the start of a row, without its details. */
  static Views.Checkpoint checkpoint(ResultSet rs) throws SQLException {
    return new Views.Checkpoint(
        rs.getString(1),
        rs.getString(2),
        rs.getLong(3),
        rs.getInt(4),
        rs.getLong(5),
        rs.getString(6),
        rs.getString(7),
        rs.getString(8),
        tree(rs.getString(9)),
        tree(rs.getString(10)),
        doubles(rs.getString(11)),
        rs.getLong(12),
        rs.getInt(13) != 0,
        nullableLong(rs, 14),
        List.of(),
        List.of(),
        null,
        null,
        null,
        null,
        null,
        null,
        List.of());
  }

  /** Reads the {@link #EVALUATION_COLUMNS} at the start of a row. */
  static Views.Evaluation evaluation(ResultSet rs) throws SQLException {
    return new Views.Evaluation(
        rs.getString(1),
        rs.getInt(2),
        rs.getString(3),
        rs.getLong(4),
        nullableDouble(rs, 5),
        nullableDouble(rs, 6),
        nullableDouble(rs, 7),
        rs.getString(8),
        rs.getLong(9),
        nullableDouble(rs, 10),
        doubleList(rs.getString(11)),
        nullableInteger(rs, 12),
        nullableDouble(rs, 13),
        nullableDouble(rs, 14),
        nullableDouble(rs, 15),
        nullableInteger(rs, 16),
        rs.getString(17),
        rs.getString(18),
        doubles(rs.getString(19)));
  }

  static Double nullableDouble(ResultSet rs, int column) throws SQLException {
    double value = rs.getDouble(column);
    return rs.wasNull() ? null : value;
  }

  static Integer nullableInteger(ResultSet rs, int column) throws SQLException {
    int value = rs.getInt(column);
    return rs.wasNull() ? null : value;
  }

  static Long nullableLong(ResultSet rs, int column) throws SQLException {
    long value = rs.getLong(column);
    return rs.wasNull() ? null : value;
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

  private static JsonNode tree(String json) {
    return storedJson(json, Json.MAPPER::readTree);
  }

  private static Map<String, Double> doubles(String json) {
    return storedJson(json, j -> Json.MAPPER.readValue(j, DOUBLE_MAP));
  }
}
