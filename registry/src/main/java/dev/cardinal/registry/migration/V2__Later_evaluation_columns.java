package dev.cardinal.registry.migration;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Adds the optional evaluation fields (calibration, per-class accuracy, the evaluation plan and the
 * regularization verdict), nullable, so older rows read as "unknown" for them, like events from
 * older evaluators. Java rather than SQL because a registry from before migrations may have added
 * any of these columns already, and neither SQLite nor PostgreSQL's ADD COLUMN can skip an existing
 * column in a way both accept. This list is history: a later column is a later migration.
 */
public final class V2__Later_evaluation_columns extends BaseJavaMigration {
  private static final Map<String, String> COLUMNS = columns();

  private static Map<String, String> columns() {
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
    return columns;
  }

  @Override
  public void migrate(Context context) throws SQLException {
    Connection connection = context.getConnection();
    Set<String> present = evaluationColumns(connection);
    try (Statement s = connection.createStatement()) {
      for (Map.Entry<String, String> column : COLUMNS.entrySet()) {
        if (!present.contains(column.getKey())) {
          s.execute(
              "ALTER TABLE evaluations ADD COLUMN " + column.getKey() + " " + column.getValue());
        }
      }
    }
  }

  /**
   * The columns of the evaluations table as queries see it. Read from an empty result rather than
   * from {@code DatabaseMetaData}, whose table-name case and schema rules differ between drivers.
   */
  private static Set<String> evaluationColumns(Connection connection) throws SQLException {
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
}
