package dev.cardinal.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The registry's SQL store: checkpoints and evaluations materialized from their topics, plus the
 * aliases and tags users set through the API. Every write is an idempotent upsert keyed by the
 * event's id, so replaying a topic never duplicates a row. All SQL uses bound parameters.
 *
 * <p>One connection serves every call (SQLite has one writer anyway); calls are serialized.
 */
public final class CheckpointDb implements AutoCloseable {
  private static final String CHECKPOINT_COLUMNS =
      "c.checkpoint_id, c.run_id, c.step, c.epoch, c.samples_seen, c.model, c.bucket, c.prefix,"
          + " c.spec, c.schedule, c.train_metrics, c.created_at_ms, c.deleted, c.deleted_at_ms";

  /**
   * The evaluation columns every read selects, in the order {@link #evaluationRow} reads them; a
   * query may append columns after them.
   */
  private static final String EVALUATION_COLUMNS =
      "e.evaluation_id, e.resolution, e.weights, e.images, e.top1, e.top5, e.nll, e.error,"
          + " e.evaluated_at_ms, e.ece, e.per_class_accuracy, e.train_resolution, e.crop_fraction,"
          + " e.train_top1, e.train_eval_gap, e.best_resolution, e.verdict, e.verdict_reason,"
          + " e.verdict_evidence";

  private static final int EVALUATION_COLUMN_COUNT = 19;

  /**
   * Evaluation columns added after the first schema, with their types. A database made by an older
   * registry lacks them: {@link #addMissingColumns} adds them, nullable, so its rows read as
   * "unknown" for these fields, exactly like events from older evaluators that never had them.
   */
  private static final Map<String, String> LATER_EVALUATION_COLUMNS = laterEvaluationColumns();

  static final List<String> METRICS = List.of("top1", "top5", "nll");
  private static final TypeReference<Map<String, Double>> DOUBLE_MAP = new TypeReference<>() {};
  private static final TypeReference<List<Double>> DOUBLE_LIST = new TypeReference<>() {};

  /**
   * Inserts an evaluation or, for an id already stored, rewrites every column, the optional ones
   * too: the latest delivery of an id wins, as a rebuild from the topic would have it.
   */
  private static final String UPSERT_EVALUATION = upsertEvaluationSql();

  private static String upsertEvaluationSql() {
    List<String> columns =
        new ArrayList<>(
            List.of(
                "evaluation_id",
                "checkpoint_id",
                "run_id",
                "step",
                "resolution",
                "weights",
                "images",
                "top1",
                "top5",
                "nll",
                "error",
                "evaluated_at_ms"));
    columns.addAll(LATER_EVALUATION_COLUMNS.keySet());
    List<String> updates = new ArrayList<>();
    for (String column : columns.subList(1, columns.size())) {
      updates.add(column + " = excluded." + column);
    }
    return "INSERT INTO evaluations ("
        + String.join(", ", columns)
        + ") VALUES ("
        + String.join(", ", Collections.nCopies(columns.size(), "?"))
        + ") ON CONFLICT (evaluation_id) DO UPDATE SET "
        + String.join(", ", updates);
  }

  private static Map<String, String> laterEvaluationColumns() {
    Map<String, String> columns = new LinkedHashMap<>();
    columns.put("ece", "DOUBLE PRECISION");
    // JSON text: a JSON type is not portable between SQLite and PostgreSQL, and the registry
    // never queries inside these values.
    columns.put("per_class_accuracy", "TEXT");
    columns.put("train_resolution", "INTEGER");
    columns.put("crop_fraction", "DOUBLE PRECISION");
    columns.put("train_top1", "DOUBLE PRECISION");
    columns.put("train_eval_gap", "DOUBLE PRECISION");
    columns.put("best_resolution", "INTEGER");
    columns.put("verdict", "TEXT");
    columns.put("verdict_reason", "TEXT");
    columns.put("verdict_evidence", "TEXT");
    return Collections.unmodifiableMap(columns);
  }

  private final String url;
  private final Connection connection;

  private CheckpointDb(String url, Connection connection) {
    this.url = url;
    this.connection = connection;
  }

  /**
   * Opens (creating if needed) the store.
   *
   * @param database a SQLite file path or a JDBC URL
   * @param deleteFirst start from an empty store (rebuild from the topics): delete the SQLite file,
   *     or empty the tables of a server database
   * @throws IllegalStateException saying which database could not be opened and why
   */
  public static CheckpointDb open(String database, boolean deleteFirst) {
    String url = database.startsWith("jdbc:") ? database : "jdbc:sqlite:" + database;
    Path file = sqliteFile(url);
    try {
      if (file != null) {
        if (deleteFirst) {
          for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
            Files.deleteIfExists(Path.of(file + suffix));
          }
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
      }
      Connection connection = DriverManager.getConnection(url);
      CheckpointDb db = new CheckpointDb(url, connection);
      db.createSchema(url.startsWith("jdbc:sqlite:"));
      if (deleteFirst && file == null) {
        // A server database is not ours to delete: empty the tables instead, as a fresh file is.
        db.inTransaction(
            () -> {
              try (Statement s = connection.createStatement()) {
                for (String table : List.of("evaluations", "checkpoints", "aliases", "tags")) {
                  s.executeUpdate("DELETE FROM " + table);
                }
              }
              return null;
            });
      }
      return db;
    } catch (SQLException | IOException e) {
      throw new IllegalStateException(
          "cannot open the registry database "
              + Redact.credentials(url)
              + ": "
              + Redact.credentials(e.getMessage())
              + " (check --database: a writable SQLite file path or a reachable JDBC URL)",
          e);
    }
  }

  private static Path sqliteFile(String url) {
    if (!url.startsWith("jdbc:sqlite:")) {
      return null;
    }
    String rest = url.substring("jdbc:sqlite:".length());
    int query = rest.indexOf('?');
    if (query >= 0) {
      rest = rest.substring(0, query);
    }
    if (rest.isEmpty() || rest.equals(":memory:") || rest.startsWith("file::memory:")) {
      return null;
    }
    return Path.of(rest.startsWith("file:") ? rest.substring(5) : rest);
  }

  private void createSchema(boolean sqlite) throws SQLException {
    try (Statement s = connection.createStatement()) {
      if (sqlite) {
        s.execute("PRAGMA journal_mode=WAL");
        // An acknowledged Kafka record must survive a crash: fsync every commit.
        s.execute("PRAGMA synchronous=FULL");
        s.execute("PRAGMA busy_timeout=5000");
      }
      s.execute(
          "CREATE TABLE IF NOT EXISTS checkpoints ("
              + " checkpoint_id TEXT PRIMARY KEY,"
              + " run_id TEXT NOT NULL,"
              + " step BIGINT NOT NULL,"
              + " epoch INTEGER NOT NULL,"
              + " samples_seen BIGINT NOT NULL,"
              + " model TEXT,"
              + " bucket TEXT,"
              + " prefix TEXT,"
              + " spec TEXT,"
              + " schedule TEXT,"
              + " train_metrics TEXT,"
              + " created_at_ms BIGINT NOT NULL,"
              + " deleted INTEGER NOT NULL DEFAULT 0,"
              + " deleted_at_ms BIGINT)");
      s.execute(
          "CREATE INDEX IF NOT EXISTS checkpoints_newest"
              + " ON checkpoints (created_at_ms DESC, step DESC, run_id DESC)");
      s.execute("CREATE INDEX IF NOT EXISTS checkpoints_run ON checkpoints (run_id, step)");
      s.execute(
          "CREATE TABLE IF NOT EXISTS evaluations ("
              + " evaluation_id TEXT PRIMARY KEY,"
              + " checkpoint_id TEXT NOT NULL,"
              + " run_id TEXT NOT NULL,"
              + " step BIGINT NOT NULL,"
              + " resolution INTEGER NOT NULL,"
              + " weights TEXT NOT NULL,"
              + " images BIGINT NOT NULL,"
              + " top1 DOUBLE PRECISION,"
              + " top5 DOUBLE PRECISION,"
              + " nll DOUBLE PRECISION,"
              + " error TEXT,"
              + " evaluated_at_ms BIGINT NOT NULL)");
      addMissingColumns();
      s.execute("CREATE INDEX IF NOT EXISTS evaluations_checkpoint ON evaluations (checkpoint_id)");
      // Covers the per-checkpoint score lookups of score filters and sorts.
      s.execute(
          "CREATE INDEX IF NOT EXISTS evaluations_score"
              + " ON evaluations (checkpoint_id, resolution, weights, top1)");
      s.execute("CREATE INDEX IF NOT EXISTS checkpoints_step ON checkpoints (step, created_at_ms)");
      s.execute("CREATE INDEX IF NOT EXISTS evaluations_run ON evaluations (run_id)");
      s.execute(
          "CREATE TABLE IF NOT EXISTS aliases ("
              + " run_id TEXT NOT NULL,"
              + " alias TEXT NOT NULL,"
              + " step BIGINT NOT NULL,"
              + " updated_at_ms BIGINT NOT NULL,"
              + " PRIMARY KEY (run_id, alias))");
      s.execute(
          "CREATE TABLE IF NOT EXISTS tags ("
              + " checkpoint_id TEXT NOT NULL,"
              + " tag TEXT NOT NULL,"
              + " PRIMARY KEY (checkpoint_id, tag))");
    }
  }

  /**
   * Brings an evaluations table of an older schema up to date by adding the columns it lacks. New
   * tables are created without them too and get them here, so there is one path for both. Plain
   * {@code ALTER TABLE ... ADD COLUMN} (no {@code IF NOT EXISTS}, which SQLite lacks); a registry
   * that adds the same column at the same moment makes ours fail, which is fine once it exists.
   */
  private void addMissingColumns() throws SQLException {
    Set<String> present = evaluationColumnNames();
    for (Map.Entry<String, String> column : LATER_EVALUATION_COLUMNS.entrySet()) {
      if (present.contains(column.getKey())) {
        continue;
      }
      try (Statement s = connection.createStatement()) {
        s.execute(
            "ALTER TABLE evaluations ADD COLUMN " + column.getKey() + " " + column.getValue());
      } catch (SQLException e) {
        if (!evaluationColumnNames().contains(column.getKey())) {
          throw e;
        }
      }
    }
  }

  /**
   * The columns of the evaluations table as queries see it. Read from an empty result rather than
   * from {@code DatabaseMetaData}, whose table-name case and schema rules differ between drivers.
   */
  private Set<String> evaluationColumnNames() throws SQLException {
    Set<String> names = new HashSet<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM evaluations WHERE 1 = 0")) {
      ResultSetMetaData meta = rs.getMetaData();
      for (int i = 1; i <= meta.getColumnCount(); i++) {
        names.add(meta.getColumnName(i).toLowerCase(Locale.ROOT));
      }
    }
    return names;
  }

  public String url() {
    return url;
  }

  // ---------------------------------------------------------------- writes from the topics

  /**
   * Applies checkpoint and evaluation events in order, in one transaction: when this returns they
   * are durable and their Kafka records may be acknowledged.
   *
   * @throws IllegalArgumentException for an element that is neither event type
   */
  public synchronized void applyAll(List<?> events) {
    if (events.isEmpty()) {
      return;
    }
    inTransaction(
        () -> {
          for (Object event : events) {
            if (event instanceof CheckpointEvent c) {
              upsert(c);
            } else if (event instanceof EvaluationEvent e) {
              upsert(e);
            } else {
              throw new IllegalArgumentException("not a registry event: " + event);
            }
          }
          return null;
        });
  }

  public void upsertCheckpoint(CheckpointEvent event) {
    applyAll(List.of(event));
  }

  public void upsertEvaluation(EvaluationEvent event) {
    applyAll(List.of(event));
  }

  private void upsert(CheckpointEvent e) throws SQLException {
    boolean deleted = CheckpointEvent.DELETED.equals(e.kind());
    // A deletion keeps what was recorded at creation and only marks the row; a creation (also a
    // redelivered one) rewrites the row and clears the mark.
    String onConflict =
        deleted
            ? " ON CONFLICT (checkpoint_id) DO UPDATE SET deleted = 1,"
                + " deleted_at_ms = excluded.deleted_at_ms"
            : " ON CONFLICT (checkpoint_id) DO UPDATE SET run_id = excluded.run_id,"
                + " step = excluded.step, epoch = excluded.epoch,"
                + " samples_seen = excluded.samples_seen, model = excluded.model,"
                + " bucket = excluded.bucket, prefix = excluded.prefix, spec = excluded.spec,"
                + " schedule = excluded.schedule, train_metrics = excluded.train_metrics,"
                + " created_at_ms = excluded.created_at_ms, deleted = 0, deleted_at_ms = NULL";
    try (PreparedStatement ps =
        connection.prepareStatement(
            "INSERT INTO checkpoints (checkpoint_id, run_id, step, epoch, samples_seen, model,"
                + " bucket, prefix, spec, schedule, train_metrics, created_at_ms, deleted,"
                + " deleted_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + onConflict)) {
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

  private void upsert(EvaluationEvent e) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(UPSERT_EVALUATION)) {
      ps.setString(1, e.evaluationId());
      ps.setString(2, e.checkpointId());
      ps.setString(3, e.runId());
      ps.setLong(4, e.step());
      ps.setInt(5, e.resolution());
      ps.setString(6, e.weights());
      ps.setLong(7, e.images());
      setDouble(ps, 8, e.top1());
      setDouble(ps, 9, e.top5());
      setDouble(ps, 10, e.nll());
      ps.setString(11, e.error());
      ps.setLong(12, e.evaluatedAtMs());
      setDouble(ps, 13, e.ece());
      ps.setString(14, perClassJson(e.perClassAccuracy()));
      setInteger(ps, 15, e.trainResolution());
      setDouble(ps, 16, e.cropFraction());
      setDouble(ps, 17, e.trainTop1());
      setDouble(ps, 18, e.trainEvalGap());
      setInteger(ps, 19, e.bestResolution());
      ps.setString(20, e.verdict());
      ps.setString(21, e.verdictReason());
      ps.setString(22, evidenceJson(e.verdictEvidence()));
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

  private static void setDouble(PreparedStatement ps, int index, Double value) throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.DOUBLE);
    } else {
      setDouble(ps, index, value.doubleValue());
    }
  }

  private static void setInteger(PreparedStatement ps, int index, Integer value)
      throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.INTEGER);
    } else {
      ps.setInt(index, value);
    }
  }

  private static void setDouble(PreparedStatement ps, int index, double value) throws SQLException {
    if (Double.isFinite(value)) {
      ps.setDouble(index, value);
    } else {
      ps.setNull(index, Types.DOUBLE);
    }
  }

  // ---------------------------------------------------------------- aliases and tags

  /**
   * Points {@code alias} of a run at a step, replacing where it pointed before.
   *
   * @throws ApiException 404 when the run has no such checkpoint
   */
  public synchronized void setAlias(String run, String alias, long step) {
    inTransaction(
        () -> {
          requireCheckpoint(run, step);
          try (PreparedStatement ps =
              connection.prepareStatement(
                  "INSERT INTO aliases (run_id, alias, step, updated_at_ms) VALUES (?, ?, ?, ?)"
                      + " ON CONFLICT (run_id, alias) DO UPDATE SET step = excluded.step,"
                      + " updated_at_ms = excluded.updated_at_ms")) {
            ps.setString(1, run);
            ps.setString(2, alias);
            ps.setLong(3, step);
            ps.setLong(4, System.currentTimeMillis());
            ps.executeUpdate();
          }
          return null;
        });
  }

  /** Removes an alias; true when it existed. */
  public synchronized boolean removeAlias(String run, String alias) {
    return inTransaction(
        () -> {
          try (PreparedStatement ps =
              connection.prepareStatement("DELETE FROM aliases WHERE run_id = ? AND alias = ?")) {
            ps.setString(1, run);
            ps.setString(2, alias);
            return ps.executeUpdate() > 0;
          }
        });
  }

  /** The step an alias points at. */
  public synchronized Optional<Long> alias(String run, String alias) {
    return read(
        () -> {
          try (PreparedStatement ps =
              connection.prepareStatement(
                  "SELECT step FROM aliases WHERE run_id = ? AND alias = ?")) {
            ps.setString(1, run);
            ps.setString(2, alias);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(rs.getLong(1)) : Optional.<Long>empty();
            }
          }
        });
  }

  /** Every alias of a run, alias to step. */
  public synchronized Map<String, Long> aliases(String run) {
    return read(() -> aliasesOf(run));
  }

  /**
   * Tags a checkpoint (tagging twice is harmless).
   *
   * @throws ApiException 404 when there is no such checkpoint
   */
  public synchronized void addTag(String run, long step, String tag) {
    inTransaction(
        () -> {
          requireCheckpoint(run, step);
          try (PreparedStatement ps =
              connection.prepareStatement(
                  "INSERT INTO tags (checkpoint_id, tag) VALUES (?, ?)"
                      + " ON CONFLICT (checkpoint_id, tag) DO NOTHING")) {
            ps.setString(1, CheckpointEvent.checkpointId(run, step));
            ps.setString(2, tag);
            ps.executeUpdate();
          }
          return null;
        });
  }

  /** Removes a tag; true when the checkpoint had it. */
  public synchronized boolean removeTag(String run, long step, String tag) {
    return inTransaction(
        () -> {
          try (PreparedStatement ps =
              connection.prepareStatement("DELETE FROM tags WHERE checkpoint_id = ? AND tag = ?")) {
            ps.setString(1, CheckpointEvent.checkpointId(run, step));
            ps.setString(2, tag);
            return ps.executeUpdate() > 0;
          }
        });
  }

  private void requireCheckpoint(String run, long step) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT 1 FROM checkpoints WHERE checkpoint_id = ?")) {
      ps.setString(1, CheckpointEvent.checkpointId(run, step));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw ApiException.notFound("run " + run + " has no checkpoint at step " + step);
        }
      }
    }
  }

  // ---------------------------------------------------------------- queries

  /** A page of checkpoints in the query's order, with their evaluations. */
  public synchronized Views.Page list(CheckpointQuery q) {
    return read(
        () -> {
          List<Object> args = new ArrayList<>();
          String sortValue = sortExpression(q, args);
          // Column sorts stay one flat SELECT so the newest-first index serves ORDER BY ... LIMIT;
          // a score sort needs the score as a column to filter and page on, hence the wrapper.
          boolean wrap = q.sortsByScore();
          StringBuilder sql =
              new StringBuilder(
                  (wrap ? "SELECT * FROM (SELECT " : "SELECT ")
                      + CHECKPOINT_COLUMNS
                      + ", "
                      + sortValue
                      + " AS sort_value FROM checkpoints c WHERE 1 = 1");
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
          threshold(sql, args, q, "top1", ">=", q.minTop1());
          threshold(sql, args, q, "top5", ">=", q.minTop5());
          threshold(sql, args, q, "nll", "<=", q.maxNll());
          String x = "c.";
          if (wrap) {
            sql.append(") x WHERE x.sort_value IS NOT NULL");
            x = "x.";
          }
          String dir = q.descending() ? "DESC" : "ASC";
          // The order: the sort key, then newest, step and run to make it total. A column key
          // that is itself one of those is not repeated, so SQLite can walk an index.
          List<String> terms = new ArrayList<>();
          terms.add(wrap ? "x.sort_value" : sortValue);
          for (String tie : List.of("created_at_ms", "step", "run_id")) {
            if (!terms.get(0).equals(x + tie)) {
              terms.add(x + tie);
            }
          }
          if (q.cursor() != null) {
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
                .append(String.join(", ", java.util.Collections.nCopies(terms.size(), "?")))
                .append(')');
            for (String term : terms) {
              if (term.endsWith("sort_value")) {
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
          sql.append(" ORDER BY ");
          for (int i = 0; i < terms.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append(terms.get(i)).append(' ').append(dir);
          }
          sql.append(" LIMIT ?");
          args.add(q.limit() + 1);
          List<Views.Checkpoint> rows = new ArrayList<>();
          List<String> sortValues = new ArrayList<>();
          try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                rows.add(checkpointRow(rs));
                sortValues.add(
                    q.sortsByScore()
                        ? Double.toString(rs.getDouble(15))
                        : Long.toString(rs.getLong(15)));
              }
            }
          }
          String next = null;
          if (rows.size() > q.limit()) {
            rows = rows.subList(0, q.limit());
            Views.Checkpoint last = rows.get(rows.size() - 1);
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
          return new Views.Page(withDetails(rows), next);
        });
  }

  /** The value a checkpoint sorts by: a column, or its best evaluation score. */
  private static String sortExpression(CheckpointQuery q, List<Object> args) {
    return switch (q.sort()) {
      case "created" -> "c.created_at_ms";
      case "step" -> "c.step";
      default -> {
        String aggregate = q.sort().equals("nll") ? "MIN" : "MAX";
        StringBuilder sub =
            new StringBuilder("(SELECT ")
                .append(aggregate)
                .append("(e.")
                .append(q.sort())
                .append(") FROM evaluations e WHERE e.checkpoint_id = c.checkpoint_id");
        evaluationScope(sub, args, q);
        yield sub.append(')').toString();
      }
    };
  }

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
    evaluationScope(sql, args, q);
    sql.append(')');
  }

  private static void evaluationScope(StringBuilder sql, List<Object> args, CheckpointQuery q) {
    where(sql, args, "e.resolution = ?", q.resolution());
    where(sql, args, "e.weights = ?", q.weights());
  }

  /** Appends {@code AND condition} with its one parameter, when a value for it is given. */
  private static void where(StringBuilder sql, List<Object> args, String condition, Object value) {
    if (value != null) {
      sql.append(" AND ").append(condition);
      args.add(value);
    }
  }

  /**
   * Scored evaluations of existing checkpoints, by run and step: what the UI draws as top-1 over
   * steps. At most {@code limit} rows, the latest steps of each run when there are more.
   */
  public synchronized List<Views.EvaluationPoint> evaluationPoints(String run, int limit) {
    return read(
        () -> {
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
          List<Views.EvaluationPoint> out = new ArrayList<>();
          try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new Views.EvaluationPoint(
                        rs.getString(1),
                        rs.getLong(2),
                        rs.getInt(3),
                        rs.getString(4),
                        nullableDouble(rs, 5),
                        nullableDouble(rs, 6),
                        nullableDouble(rs, 7),
                        nullableDouble(rs, 8),
                        nullableDouble(rs, 9)));
              }
            }
          }
          Collections.reverse(out);
          return out;
        });
  }

  /** One checkpoint (also a deleted one) with its evaluations. */
  public synchronized Optional<Views.Checkpoint> find(String run, long step) {
    return read(
        () -> {
          try (PreparedStatement ps =
              connection.prepareStatement(
                  "SELECT "
                      + CHECKPOINT_COLUMNS
                      + " FROM checkpoints c WHERE c.checkpoint_id = ?")) {
            ps.setString(1, CheckpointEvent.checkpointId(run, step));
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.<Views.Checkpoint>empty();
              }
              return Optional.of(withDetails(List.of(checkpointRow(rs))).get(0));
            }
          }
        });
  }

  /** Every run with a summary, most recently active first. */
  public synchronized List<Views.Run> runs() {
    return read(
        () -> {
          Map<String, Views.Run> runs = new LinkedHashMap<>();
          try (PreparedStatement ps =
                  connection.prepareStatement(
                      "SELECT c.run_id, SUM(CASE WHEN c.deleted = 0 THEN 1 ELSE 0 END),"
                          + " MAX(c.step), MAX(c.created_at_ms),"
                          + " (SELECT c2.model FROM checkpoints c2 WHERE c2.run_id = c.run_id"
                          + " ORDER BY c2.step DESC LIMIT 1)"
                          + " FROM checkpoints c GROUP BY c.run_id"
                          + " ORDER BY MAX(c.created_at_ms) DESC, c.run_id");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              String run = rs.getString(1);
              runs.put(
                  run,
                  new Views.Run(
                      run,
                      rs.getString(5),
                      rs.getLong(2),
                      rs.getLong(3),
                      rs.getLong(4),
                      null,
                      null,
                      null,
                      null,
                      null,
                      null,
                      Map.of()));
            }
          }
          try (PreparedStatement ps =
                  connection.prepareStatement(
                      "SELECT run_id, step, resolution, weights, top1 FROM (SELECT e.*,"
                          + " ROW_NUMBER() OVER (PARTITION BY e.run_id"
                          + " ORDER BY e.top1 DESC, e.step DESC, e.evaluation_id) AS rank"
                          + " FROM evaluations e WHERE e.top1 IS NOT NULL) ranked"
                          + " WHERE rank = 1 ORDER BY run_id");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              String run = rs.getString(1);
              Views.Run r = runs.get(run);
              Views.Run withBest =
                  new Views.Run(
                      run,
                      r == null ? null : r.model(),
                      r == null ? 0 : r.checkpoints(),
                      r == null ? null : r.latestStep(),
                      r == null ? null : r.latestAtMs(),
                      rs.getDouble(5),
                      rs.getLong(2),
                      rs.getInt(3),
                      rs.getString(4),
                      null,
                      null,
                      Map.of());
              runs.put(run, withBest);
            }
          }
          // The verdict at each run's highest judged step: where the run stands now.
          Map<String, Object[]> verdicts = new LinkedHashMap<>();
          try (PreparedStatement ps =
                  connection.prepareStatement(
                      "SELECT run_id, step, verdict FROM (SELECT e.run_id, e.step, e.verdict,"
                          + " ROW_NUMBER() OVER (PARTITION BY e.run_id ORDER BY e.step DESC,"
                          + " e.evaluated_at_ms DESC, e.evaluation_id DESC) AS rank"
                          + " FROM evaluations e WHERE e.verdict IS NOT NULL) ranked"
                          + " WHERE rank = 1 ORDER BY run_id");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              verdicts.put(rs.getString(1), new Object[] {rs.getString(3), rs.getLong(2)});
            }
          }
          List<Views.Run> out = new ArrayList<>();
          for (Views.Run r : runs.values()) {
            Object[] verdict = verdicts.get(r.run());
            out.add(
                new Views.Run(
                    r.run(),
                    r.model(),
                    r.checkpoints(),
                    r.latestStep(),
                    r.latestAtMs(),
                    r.bestTop1(),
                    r.bestTop1Step(),
                    r.bestTop1Resolution(),
                    r.bestTop1Weights(),
                    verdict == null ? null : (String) verdict[0],
                    verdict == null ? null : (Long) verdict[1],
                    aliasesOf(r.run())));
          }
          return out;
        });
  }

  /**
   * The run's best existing checkpoint by an evaluation metric: highest top1/top5, lowest nll.
   *
   * @param resolution only evaluations at this resolution, or null for any
   * @param weights only {@code raw} or {@code ema} evaluations, or null for either
   * @throws ApiException 400 for a metric other than top1, top5, nll
   */
  public synchronized Optional<Views.Best> best(
      String run, String metric, Integer resolution, String weights) {
    if (!METRICS.contains(metric)) {
      throw ApiException.badRequest("unknown metric '" + metric + "': use one of top1, top5, nll");
    }
    String order = metric.equals("nll") ? "ASC" : "DESC";
    return read(
        () -> {
          StringBuilder sql =
              new StringBuilder(
                  "SELECT "
                      + EVALUATION_COLUMNS
                      + ", e.step FROM evaluations e"
                      + " JOIN checkpoints c ON c.checkpoint_id = e.checkpoint_id"
                      + " WHERE e.run_id = ? AND c.deleted = 0 AND e."
                      + metric
                      + " IS NOT NULL");
          List<Object> args = new ArrayList<>(List.of(run));
          where(sql, args, "e.resolution = ?", resolution);
          where(sql, args, "e.weights = ?", weights);
          sql.append(" ORDER BY e.")
              .append(metric)
              .append(' ')
              .append(order)
              .append(", e.step DESC LIMIT 1");
          try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.<Views.Best>empty();
              }
              Views.Evaluation evaluation = evaluationRow(rs);
              long step = rs.getLong(EVALUATION_COLUMN_COUNT + 1);
              double value =
                  switch (metric) {
                    case "top1" -> evaluation.top1();
                    case "top5" -> evaluation.top5();
                    default -> evaluation.nll();
                  };
              Views.Checkpoint checkpoint = findUnlocked(run, step);
              return Optional.of(new Views.Best(metric, value, evaluation, checkpoint));
            }
          }
        });
  }

  private Views.Checkpoint findUnlocked(String run, long step) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT " + CHECKPOINT_COLUMNS + " FROM checkpoints c WHERE c.checkpoint_id = ?")) {
      ps.setString(1, CheckpointEvent.checkpointId(run, step));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? withDetails(List.of(checkpointRow(rs))).get(0) : null;
      }
    }
  }

  /** Rows in the checkpoint table, deleted ones included. */
  public synchronized long checkpointCount() {
    return count("SELECT COUNT(*) FROM checkpoints");
  }

  public synchronized long evaluationCount() {
    return count("SELECT COUNT(*) FROM evaluations");
  }

  private long count(String sql) {
    return read(
        () -> {
          try (PreparedStatement ps = connection.prepareStatement(sql);
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
          }
        });
  }

  private Map<String, Long> aliasesOf(String run) throws SQLException {
    Map<String, Long> out = new TreeMap<>();
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT alias, step FROM aliases WHERE run_id = ?")) {
      ps.setString(1, run);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    return out;
  }

  /** Adds evaluations, tags and aliases to checkpoint rows, keeping their order. */
  private List<Views.Checkpoint> withDetails(List<Views.Checkpoint> rows) throws SQLException {
    if (rows.isEmpty()) {
      return rows;
    }
    List<String> ids = rows.stream().map(Views.Checkpoint::id).toList();
    String in = String.join(", ", Collections.nCopies(ids.size(), "?"));
    Map<String, List<Views.Evaluation>> evaluations = new LinkedHashMap<>();
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT "
                + EVALUATION_COLUMNS
                + ", e.checkpoint_id FROM evaluations e"
                + " WHERE e.checkpoint_id IN ("
                + in
                + ") ORDER BY e.resolution, e.weights")) {
      bind(ps, new ArrayList<>(ids));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          evaluations
              .computeIfAbsent(rs.getString(EVALUATION_COLUMN_COUNT + 1), k -> new ArrayList<>())
              .add(evaluationRow(rs));
        }
      }
    }
    Map<String, List<String>> tags = new LinkedHashMap<>();
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT checkpoint_id, tag FROM tags WHERE checkpoint_id IN ("
                + in
                + ") ORDER BY tag")) {
      bind(ps, new ArrayList<>(ids));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          tags.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
        }
      }
    }
    Map<String, List<String>> aliases = new LinkedHashMap<>();
    List<String> runs = rows.stream().map(Views.Checkpoint::run).distinct().toList();
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT run_id, step, alias FROM aliases WHERE run_id IN ("
                + String.join(", ", Collections.nCopies(runs.size(), "?"))
                + ") ORDER BY alias")) {
      bind(ps, new ArrayList<>(runs));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          aliases
              .computeIfAbsent(
                  CheckpointEvent.checkpointId(rs.getString(1), rs.getLong(2)),
                  k -> new ArrayList<>())
              .add(rs.getString(3));
        }
      }
    }
    List<Views.Checkpoint> out = new ArrayList<>(rows.size());
    for (Views.Checkpoint c : rows) {
      List<Views.Evaluation> scores = evaluations.getOrDefault(c.id(), List.of());
      Views.Evaluation best = bestOf(scores);
      Views.Evaluation judged = latestVerdict(scores);
      out.add(
          new Views.Checkpoint(
              c.id(),
              c.run(),
              c.step(),
              c.epoch(),
              c.samplesSeen(),
              c.model(),
              c.bucket(),
              c.prefix(),
              c.spec(),
              c.schedule(),
              c.trainMetrics(),
              c.createdAtMs(),
              c.deleted(),
              c.deletedAtMs(),
              tags.getOrDefault(c.id(), List.of()),
              aliases.getOrDefault(c.id(), List.of()),
              best == null ? null : best.resolution(),
              best == null ? null : best.weights(),
              best == null ? null : best.top1(),
              judged == null ? null : judged.verdict(),
              judged == null ? null : judged.verdictReason(),
              judged == null ? null : judged.verdictEvidence(),
              scores));
    }
    return out;
  }

  /**
   * The checkpoint's best scored evaluation: highest top-1, then lowest NLL, then the smaller
   * resolution (the evaluator's own tie-break for its per-weight-set best resolution), then the
   * weights name so the answer never depends on row order.
   */
  private static Views.Evaluation bestOf(List<Views.Evaluation> evaluations) {
    Comparator<Views.Evaluation> better =
        Comparator.comparing(Views.Evaluation::top1)
            .thenComparing(
                e -> e.nll() == null ? Double.NEGATIVE_INFINITY : -e.nll(),
                Comparator.naturalOrder())
            .thenComparing(e -> -e.resolution())
            .thenComparing(Views.Evaluation::weights, Comparator.reverseOrder());
    return evaluations.stream().filter(e -> e.top1() != null).max(better).orElse(null);
  }

  /**
   * The evaluation whose verdict stands for the checkpoint. The evaluator judges the run once per
   * checkpoint and stamps that verdict on each of its evaluations, so they agree; should a later
   * evaluation disagree (a re-evaluation), the latest one wins.
   */
  private static Views.Evaluation latestVerdict(List<Views.Evaluation> evaluations) {
    return evaluations.stream()
        .filter(e -> e.verdict() != null)
        .max(
            Comparator.comparingLong(Views.Evaluation::evaluatedAtMs)
                .thenComparing(Views.Evaluation::id))
        .orElse(null);
  }

  private static Views.Checkpoint checkpointRow(ResultSet rs) throws SQLException {
    long deletedAt = rs.getLong(14);
    boolean deletedAtNull = rs.wasNull();
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
        deletedAtNull ? null : deletedAt,
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
  private static Views.Evaluation evaluationRow(ResultSet rs) throws SQLException {
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

  private static Double nullableDouble(ResultSet rs, int column) throws SQLException {
    double value = rs.getDouble(column);
    return rs.wasNull() ? null : value;
  }

  private static Integer nullableInteger(ResultSet rs, int column) throws SQLException {
    int value = rs.getInt(column);
    return rs.wasNull() ? null : value;
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

  private static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
    for (int i = 0; i < args.size(); i++) {
      Object arg = args.get(i);
      if (arg instanceof Long l) {
        ps.setLong(i + 1, l);
      } else if (arg instanceof Integer n) {
        ps.setInt(i + 1, n);
      } else if (arg instanceof Double d) {
        ps.setDouble(i + 1, d);
      } else {
        ps.setString(i + 1, (String) arg);
      }
    }
  }

  /** A SQL failure for the log: which database (without its credentials) and what went wrong. */
  private IllegalStateException failed(SQLException e) {
    return new IllegalStateException(
        "registry database "
            + Redact.credentials(url)
            + " failed: "
            + Redact.credentials(e.getMessage()),
        e);
  }

  private interface SqlWork<T> {
    T run() throws SQLException;
  }

  private <T> T read(SqlWork<T> work) {
    try {
      return work.run();
    } catch (SQLException e) {
      throw failed(e);
    }
  }

  private <T> T inTransaction(SqlWork<T> work) {
    try {
      connection.setAutoCommit(false);
      try {
        T result = work.run();
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw failed(e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      // Closing is best effort; every commit was already durable.
    }
  }
}
