package dev.cardinal.registry;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The evaluations table's columns that make up an evaluation, in the order of its JSON fields
 * ({@link Views.Evaluation}, core's {@code EvaluationResult}): the one list the writer binds, every
 * read selects and the row mapping reads. Each column is its JSON field in snake case, the id
 * {@code evaluation_id}; {@code EvaluationSchemaTest} checks the list against the JSON and the
 * OpenAPI schema.
 */
enum EvaluationColumn {
  ID("evaluation_id"),
  RESOLUTION,
  WEIGHTS,
  TRAIN_RESOLUTION,
  CROP_FRACTION,
  TEST_FLIP,
  IMAGES,
  TOP1,
  TOP5,
  NLL,
  ECE,
  PER_CLASS_ACCURACY,
  SINGLE_VIEW_TOP1,
  ERROR,
  EVALUATED_AT_MS,
  TRAIN_TOP1,
  TRAIN_EVAL_GAP,
  BEST_RESOLUTION,
  VERDICT,
  VERDICT_REASON,
  VERDICT_EVIDENCE;

  /** How many there are: a query that selects {@link #SELECTED} appends its own columns after. */
  static final int COUNT = values().length;

  /** The columns as every read selects them, from the evaluations table aliased {@code e}. */
  static final String SELECTED =
      Arrays.stream(values()).map(c -> "e." + c.sql).collect(Collectors.joining(", "));

  final String sql;

  EvaluationColumn() {
    this.sql = name().toLowerCase(Locale.ROOT);
  }

  EvaluationColumn(String sql) {
    this.sql = sql;
  }

  /** The column's 1-based position among {@link #SELECTED}, as JDBC counts. */
  int index() {
    return ordinal() + 1;
  }

  /** The JSON field the column holds: its name in camel case, the id as {@code id}. */
  String jsonField() {
    if (this == ID) {
      return "id";
    }
    StringBuilder out = new StringBuilder();
    for (String part : sql.split("_")) {
      out.append(out.isEmpty() ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
    }
    return out.toString();
  }
}
