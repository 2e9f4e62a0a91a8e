package dev.cardinal.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.trainer.Recipe;
import dev.cardinal.trainer.TrainerConfig;
import dev.cardinal.trainer.model.ModelPresets;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What a scaling study varies and what it holds fixed: lists of presets, width multipliers, depths,
 * train resolutions and regularization strengths (the points are their cartesian product) and the
 * scalars every point shares. Read from a YAML or JSON file and/or flags, and validated as a whole
 * before anything starts: every message names the key, the bad value and what is allowed.
 *
 * @param depths total depths; null in the list is the preset's own
 * @param resolutions train resolutions in pixels; empty: the stream's resolution
 * @param budget samples every point trains on, or epochs of the dataset
 * @param batchSize images per batch of the stream {@code cardinal run --sweep} ingests; null: the
 *     --batch-size flag's (a separate {@code sweep start} trains on the batches the stream has)
 * @param recipe named training recipe; its learning-rate schedule is stretched to the budget
 * @param schedule schedule preset or file for the stream, or null
 * @param checkpointEvery steps between checkpoints of a point (each is scored); its last checkpoint
 *     is always at the end of its budget
 */
record SweepGrid(
    List<String> presets,
    List<Double> widths,
    List<Integer> depths,
    List<Integer> resolutions,
    List<Double> regularization,
    Budget budget,
    Integer batchSize,
    String recipe,
    String schedule,
    int checkpointEvery) {

  static final String PRESETS = "presets";
  static final String WIDTHS = "widths";
  static final String DEPTHS = "depths";
  static final String RESOLUTIONS = "resolutions";
  static final String REGULARIZATION = "regularization";
  static final String BUDGET = "budget";
  static final String BATCH_SIZE = "batchSize";
  static final String RECIPE = "recipe";
  static final String SCHEDULE = "schedule";
  static final String CHECKPOINT_EVERY = "checkpointEvery";

  static final List<String> KEYS =
      List.of(
          PRESETS,
          WIDTHS,
          DEPTHS,
          RESOLUTIONS,
          REGULARIZATION,
          BUDGET,
          BATCH_SIZE,
          RECIPE,
          SCHEDULE,
          CHECKPOINT_EVERY);

  static final double MIN_WIDTH = 0.25;
  static final double MAX_WIDTH = 2.0;
  static final int MIN_RESOLUTION = 8;

  /** The most points one grid may define: each is a network in memory and a share of the cores. */
  static final int MAX_POINTS = 256;

  /**
   * A budget in samples, or in epochs of the dataset (turned into samples once the dataset's size
   * is known).
   */
  record Budget(long samples, double epochs) {
    long samples(long epochSize) {
      return samples > 0 ? samples : Math.max(1, Math.round(epochs * epochSize));
    }

    @Override
    public String toString() {
      return samples > 0 ? samples + " samples" : number(epochs) + " epochs";
    }
  }

  /** One point's knobs, before its network is measured. */
  record Knobs(String preset, double width, Integer depth, int resolution, double regularization) {
    /**
     * Stable and short: the preset, then each knob that differs from the preset's own value, then
     * the resolution, e.g. {@code resnet20-w0.5-d56-r32-reg2}. Extending a sweep with a point it
     * already has therefore names the same point.
     */
    String pointId() {
      StringBuilder id = new StringBuilder(preset);
      if (width != 1.0) {
        id.append("-w").append(number(width));
      }
      if (depth != null) {
        id.append("-d").append(depth);
      }
      id.append("-r").append(resolution);
      if (regularization != 1.0) {
        id.append("-reg").append(number(regularization));
      }
      return id.toString();
    }
  }

  /**
   * The points in grid order (presets outermost, regularization innermost).
   *
   * @param streamResolution the resolution for a grid that lists none
   */
  List<Knobs> points(int streamResolution) {
    List<Integer> sides = resolutions.isEmpty() ? List.of(streamResolution) : resolutions;
    List<Knobs> out = new ArrayList<>();
    for (String preset : presets) {
      for (double width : widths) {
        for (Integer depth : depths) {
          for (int side : sides) {
            for (double strength : regularization) {
              out.add(new Knobs(preset, width, depth, side, strength));
            }
          }
        }
      }
    }
    return out;
  }

  /** The schedule named by {@link #schedule}, or null. */
  Schedule resolvedSchedule() {
    return schedule == null ? null : Schedule.resolve(schedule);
  }

  /**
   * Reads a grid file (YAML or JSON) and lays the flags that were given over it.
   *
   * @param defaults values for keys neither the file nor the flags give
   */
  static SweepGrid load(Path file, Map<String, Object> flags, Map<String, Object> defaults) {
    Map<String, Object> values = new LinkedHashMap<>(defaults);
    if (file != null) {
      values.putAll(readFile(file));
    }
    values.putAll(flags);
    return fromMap(values, file == null ? "the sweep flags" : file.toString());
  }

  /** The keys of a YAML or JSON grid document. */
  static Map<String, Object> parse(String text, String source) {
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(text);
    } catch (JsonProcessingException e) {
      throw new UserError(
          source + " is not valid YAML or JSON: " + e.getOriginalMessage() + lineOf(e));
    }
    if (root == null || !root.isObject()) {
      throw new UserError(
          source + " must be a map of grid keys (" + String.join(", ", KEYS) + "), got " + root);
    }
    Map<String, Object> values = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      values.put(field.getKey(), plain(field.getValue()));
    }
    return values;
  }

  private static Map<String, Object> readFile(Path file) {
    try {
      return parse(Files.readString(file), file.toString());
    } catch (NoSuchFileException e) {
      throw new UserError("grid file " + file + " does not exist");
    } catch (IOException e) {
      throw new UserError("cannot read grid file " + file + ": " + e.getMessage());
    }
  }

  private static String lineOf(JsonProcessingException e) {
    return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
  }

  /** A JSON value as strings, numbers, nulls and lists of them. */
  private static Object plain(JsonNode node) {
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(element -> list.add(plain(element)));
      return list;
    }
    if (node.isNull()) {
      return null;
    }
    if (node.isNumber()) {
      return node.numberValue();
    }
    return node.isValueNode() ? node.asText() : node.toString();
  }

  /**
   * Validates every key and value.
   *
   * @throws UserError for the first problem, naming the key, the value and what is allowed
   */
  static SweepGrid fromMap(Map<String, Object> values, String source) {
    for (String key : values.keySet()) {
      if (!KEYS.contains(key)) {
        throw new UserError(
            source + ": unknown grid key '" + key + "'; known keys: " + String.join(", ", KEYS));
      }
    }
    List<String> presets =
        list(values, PRESETS, "a model preset ('cardinal models' lists them)", v -> preset(v));
    List<Double> widths =
        orDefault(
            values,
            WIDTHS,
            List.of(1.0),
            v -> inRange(WIDTHS, number(WIDTHS, v), MIN_WIDTH, MAX_WIDTH, "width multipliers"));
    List<Integer> depths = orDefault(values, DEPTHS, nullList(), v -> depth(v));
    List<Integer> resolutions =
        orDefault(
            values,
            RESOLUTIONS,
            List.of(),
            v ->
                (int)
                    inRange(
                        RESOLUTIONS,
                        whole(RESOLUTIONS, v),
                        MIN_RESOLUTION,
                        TrainerConfig.MAX_TRAIN_RESOLUTION,
                        "train resolutions in pixels"));
    List<Double> strengths =
        orDefault(
            values,
            REGULARIZATION,
            List.of(1.0),
            v ->
                inRange(REGULARIZATION, number(REGULARIZATION, v), 0, 100, "strength multipliers"));
    if (values.containsKey(RESOLUTIONS) && resolutions.isEmpty()) {
      throw empty(RESOLUTIONS, "train resolutions in pixels; leave the key out for the stream's");
    }
    Budget budget = budget(values.get(BUDGET));
    Integer batchSize =
        values.get(BATCH_SIZE) == null
            ? null
            : (int) inRange(BATCH_SIZE, whole(BATCH_SIZE, values.get(BATCH_SIZE)), 1, 65_536, "");
    String recipe = text(values.get(RECIPE), "fashion-mnist");
    try {
      Recipe.named(recipe);
    } catch (IllegalArgumentException e) {
      throw new UserError("grid '" + RECIPE + "': " + e.getMessage());
    }
    String schedule = text(values.get(SCHEDULE), null);
    if (schedule != null) {
      try {
        Schedule.resolve(schedule);
      } catch (IllegalArgumentException e) {
        throw new UserError("grid '" + SCHEDULE + "' " + schedule + ": " + e.getMessage());
      }
    }
    int checkpointEvery =
        values.get(CHECKPOINT_EVERY) == null
            ? 500
            : (int)
                inRange(
                    CHECKPOINT_EVERY,
                    whole(CHECKPOINT_EVERY, values.get(CHECKPOINT_EVERY)),
                    1,
                    Integer.MAX_VALUE,
                    "steps");
    SweepGrid grid =
        new SweepGrid(
            presets,
            widths,
            depths,
            resolutions,
            strengths,
            budget,
            batchSize,
            recipe,
            schedule,
            checkpointEvery);
    long points =
        (long) presets.size()
            * widths.size()
            * depths.size()
            * Math.max(1, resolutions.size())
            * strengths.size();
    if (points > MAX_POINTS) {
      throw new UserError(
          source
              + " defines "
              + points
              + " points, over the limit of "
              + MAX_POINTS
              + ": split the study into several sweeps");
    }
    return grid;
  }

  private static String preset(Object value) {
    String name = String.valueOf(value).strip();
    try {
      ModelPresets.get(name);
    } catch (IllegalArgumentException e) {
      throw new UserError("grid '" + PRESETS + "': " + e.getMessage());
    }
    return name;
  }

  private static Integer depth(Object value) {
    if (value == null || "preset".equals(String.valueOf(value).strip())) {
      return null;
    }
    long depth = whole(DEPTHS, value);
    if (depth < 8 || depth > 1000) {
      throw new UserError(
          "grid '"
              + DEPTHS
              + "' value "
              + depth
              + " is not a network depth: give total layers (20, 56, 50, 101, ...) or null for"
              + " the preset's");
    }
    return (int) depth;
  }

  private static Budget budget(Object value) {
    String what =
        "samples (e.g. 60000) or epochs of the dataset (e.g. '2 epochs'); every point trains"
            + " exactly this much";
    if (value == null) {
      throw new UserError("the grid has no '" + BUDGET + "': give " + what);
    }
    String text = String.valueOf(value).strip().toLowerCase(Locale.ROOT);
    String[] parts = text.split("\\s+");
    try {
      if (parts.length == 1 || (parts.length == 2 && parts[1].startsWith("sample"))) {
        long samples = new BigDecimal(parts[0]).longValueExact();
        if (samples > 0) {
          return new Budget(samples, 0);
        }
      } else if (parts.length == 2 && parts[1].startsWith("epoch")) {
        double epochs = Double.parseDouble(parts[0]);
        if (epochs > 0 && epochs <= 10_000) {
          return new Budget(0, epochs);
        }
      }
    } catch (NumberFormatException | ArithmeticException e) {
      // Falls through to the message below.
    }
    throw new UserError("grid '" + BUDGET + "' is '" + value + "': give " + what);
  }

  private static <T> List<T> list(
      Map<String, Object> values, String key, String what, Function<Object, T> element) {
    if (!values.containsKey(key) || values.get(key) == null) {
      throw new UserError("the grid has no '" + key + "': give a list of at least one " + what);
    }
    Object raw = values.get(key);
    List<?> items = raw instanceof List<?> l ? l : List.of(raw);
    if (items.isEmpty()) {
      throw empty(key, what);
    }
    // A value given twice would be one point trained twice: keep the first.
    LinkedHashSet<T> out = new LinkedHashSet<>();
    for (Object item : items) {
      out.add(element.apply(item));
    }
    return new ArrayList<>(out);
  }

  private static <T> List<T> orDefault(
      Map<String, Object> values, String key, List<T> fallback, Function<Object, T> element) {
    if (!values.containsKey(key)) {
      return fallback;
    }
    if (values.get(key) == null) {
      throw empty(key, "values");
    }
    return list(values, key, "value", element);
  }

  private static List<Integer> nullList() {
    return Arrays.asList((Integer) null);
  }

  private static UserError empty(String key, String what) {
    return new UserError("grid '" + key + "' is empty: give at least one value (" + what + ")");
  }

  private static double number(String key, Object value) {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    try {
      return Double.parseDouble(String.valueOf(value).strip());
    } catch (NumberFormatException e) {
      throw new UserError("grid '" + key + "' value '" + value + "' is not a number");
    }
  }

  private static long whole(String key, Object value) {
    double number = number(key, value);
    if (number != Math.rint(number)) {
      throw new UserError("grid '" + key + "' value '" + value + "' is not a whole number");
    }
    return (long) number;
  }

  private static double inRange(String key, double value, double min, double max, String what) {
    if (!(value >= min && value <= max)) {
      throw new UserError(
          "grid '"
              + key
              + "' value "
              + number(value)
              + " is out of range: "
              + (what.isEmpty() ? "" : what + " ")
              + "must be in ["
              + number(min)
              + ", "
              + number(max)
              + "]");
    }
    return value;
  }

  private static String text(Object value, String fallback) {
    return value == null || String.valueOf(value).isBlank()
        ? fallback
        : String.valueOf(value).strip();
  }

  /** A number as people write it: 0.25, 1, 2.5. */
  static String number(double value) {
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }
}
