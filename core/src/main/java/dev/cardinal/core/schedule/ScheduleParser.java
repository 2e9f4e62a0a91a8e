package dev.cardinal.core.schedule;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads schedule documents keeping the line of every value, so that a mistake is reported where it
 * is. YAML's flow style is a superset of JSON, so one YAML parser reads both.
 */
final class ScheduleParser {
  private static final YAMLFactory YAML = new YAMLFactory();
  private static final Set<String> TOP_LEVEL =
      Set.of("name", "testResolution", "testFlip", "defaults", "segments");

  /** A parsed value and the line it started on. */
  private record Node(Object value, int line) {}

  private final String source;

  private ScheduleParser(String source) {
    this.source = source;
  }

  static Schedule parse(String text, String sourceName) {
    return new ScheduleParser(sourceName).document(text);
  }

  private Schedule document(String text) {
    Node root;
    try (JsonParser p = YAML.createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new ScheduleException(source + ": the schedule is empty");
      }
      root = read(p);
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new ScheduleException(
          source + " line " + line + ": not valid YAML/JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ScheduleException(source + ": cannot read: " + e.getMessage(), e);
    }
    Map<String, Node> top = object(root, "the schedule");
    for (Map.Entry<String, Node> e : top.entrySet()) {
      if (!TOP_LEVEL.contains(e.getKey())) {
        throw error(
            e.getValue(), "unknown key '" + e.getKey() + "' (expected one of " + TOP_LEVEL + ")");
      }
    }
    String name = top.containsKey("name") ? string(top.get("name"), "name") : "custom";
    Integer test = null;
    if (top.containsKey("testResolution")) {
      Node n = top.get("testResolution");
      double v = number(n, "testResolution");
      if (v < 1 || v > 16_384 || v != Math.rint(v)) {
        throw error(n, "testResolution must be a whole number of pixels 1..16384, got " + v);
      }
      test = (int) v;
    }
    boolean testFlip = top.containsKey("testFlip") && bool(top.get("testFlip"), "testFlip");
    Map<String, Double> defaults = new LinkedHashMap<>();
    if (top.containsKey("defaults")) {
      for (Map.Entry<String, Node> e : object(top.get("defaults"), "defaults").entrySet()) {
        parameter(e.getKey(), e.getValue());
        defaults.put(e.getKey(), number(e.getValue(), e.getKey()));
      }
    }
    List<Schedule.Segment> segments = new ArrayList<>();
    if (top.containsKey("segments")) {
      Node list = top.get("segments");
      if (!(list.value() instanceof List<?> items)) {
        throw error(list, "segments must be a list");
      }
      for (Object item : items) {
        segments.add(segment((Node) item));
      }
    }
    if (segments.isEmpty() && !defaults.containsKey("trainResolution")) {
      throw new ScheduleException(
          source + ": a schedule needs trainResolution in its defaults or its segments");
    }
    checkOverlaps(segments);
    Schedule schedule;
    try {
      schedule = Schedule.of(name, test, testFlip, defaults, segments);
    } catch (IllegalArgumentException e) {
      throw new ScheduleException(source + ": " + e.getMessage(), e);
    }
    // Every segment edge must give a valid stage (a resolution of 0, a negative rate...).
    for (Schedule.Segment s : segments) {
      for (double at : new double[] {s.from(), s.open() ? s.from() : Math.nextDown(s.to())}) {
        try {
          schedule.at(at);
        } catch (IllegalArgumentException e) {
          throw new ScheduleException(
              source
                  + " line "
                  + s.line()
                  + ": segment from epoch "
                  + s.from()
                  + ": "
                  + e.getMessage(),
              e);
        }
      }
    }
    if (segments.isEmpty()) {
      try {
        schedule.at(0);
      } catch (IllegalArgumentException e) {
        throw new ScheduleException(source + ": defaults: " + e.getMessage(), e);
      }
    }
    return schedule;
  }

  private Schedule.Segment segment(Node node) {
    Map<String, Node> fields = object(node, "a segment");
    if (!fields.containsKey("from")) {
      throw error(node, "segment has no 'from' (the epoch it starts at)");
    }
    double from = number(fields.get("from"), "from");
    if (from < 0) {
      throw error(fields.get("from"), "segment 'from' must be >= 0, got " + from);
    }
    double to = Double.POSITIVE_INFINITY;
    if (fields.containsKey("to") && fields.get("to").value() != null) {
      to = number(fields.get("to"), "to");
      if (to <= from) {
        throw error(
            fields.get("to"), "segment ends at epoch " + to + ", not after its start " + from);
      }
    }
    Map<String, Value> values = new LinkedHashMap<>();
    for (Map.Entry<String, Node> e : fields.entrySet()) {
      String key = e.getKey();
      if (key.equals("from") || key.equals("to")) {
        continue;
      }
      parameter(key, e.getValue());
      Value v = value(key, e.getValue());
      if (!(v instanceof Value.Constant) && to == Double.POSITIVE_INFINITY) {
        throw error(
            e.getValue(),
            key + " ramps or steps in a segment without 'to': give the segment an end");
      }
      values.put(key, v);
    }
    return new Schedule.Segment(from, to, values, node.line());
  }

  private Value value(String key, Node node) {
    if (node.value() instanceof Number) {
      return new Value.Constant(number(node, key));
    }
    Map<String, Node> spec =
        object(node, key + " (a number, {start, end[, step]} or {steps: [...]})");
    if (spec.containsKey("steps")) {
      if (spec.size() != 1) {
        throw error(node, key + ": {steps: [...]} takes nothing else");
      }
      Node list = spec.get("steps");
      if (!(list.value() instanceof List<?> items) || items.isEmpty()) {
        throw error(list, key + ": steps must be a non-empty list of numbers");
      }
      double[] values = new double[items.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = number((Node) items.get(i), key);
      }
      return new Value.Steps(values);
    }
    for (String k : spec.keySet()) {
      if (!Set.of("start", "end", "step").contains(k)) {
        throw error(spec.get(k), key + ": unknown ramp key '" + k + "' (start, end, step)");
      }
    }
    if (!spec.containsKey("start") || !spec.containsKey("end")) {
      throw error(node, key + ": a ramp needs both start and end");
    }
    double step = spec.containsKey("step") ? number(spec.get("step"), "step") : 0;
    if (step < 0) {
      throw error(spec.get("step"), key + ": step must be > 0");
    }
    return new Value.Ramp(number(spec.get("start"), key), number(spec.get("end"), key), step);
  }

  private void parameter(String key, Node node) {
    if (!ScheduleStage.PARAMETERS.contains(key)) {
      throw error(
          node,
          "unknown schedule parameter '" + key + "' (known: " + ScheduleStage.PARAMETERS + ")");
    }
  }

  private void checkOverlaps(List<Schedule.Segment> segments) {
    List<Schedule.Segment> sorted = new ArrayList<>(segments);
    sorted.sort((a, b) -> Double.compare(a.from(), b.from()));
    for (int i = 1; i < sorted.size(); i++) {
      Schedule.Segment a = sorted.get(i - 1);
      Schedule.Segment b = sorted.get(i);
      if (b.from() < a.to()) {
        Schedule.Segment later = a.line() > b.line() ? a : b;
        Schedule.Segment earlier = later == a ? b : a;
        throw new ScheduleException(
            source
                + " line "
                + later.line()
                + ": segment "
                + range(later)
                + " overlaps the segment on line "
                + earlier.line()
                + " "
                + range(earlier));
      }
    }
  }

  /** The segment's progress range as written in messages: {@code [from, to)}. */
  private static String range(Schedule.Segment segment) {
    return "[" + fmt(segment.from()) + ", " + fmt(segment.to()) + ")";
  }

  private static String fmt(double v) {
    return v == Double.POSITIVE_INFINITY
        ? "end"
        : v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Node> object(Node node, String what) {
    if (!(node.value() instanceof Map<?, ?> map)) {
      throw error(node, what + " must be a mapping of keys to values");
    }
    return (Map<String, Node>) map;
  }

  private double number(Node node, String what) {
    if (node.value() instanceof Number n) {
      double v = n.doubleValue();
      if (!Double.isFinite(v)) {
        throw error(node, what + " must be a finite number");
      }
      return v;
    }
    throw error(node, what + " must be a number, got " + describe(node.value()));
  }

  private boolean bool(Node node, String what) {
    if (node.value() instanceof Boolean b) {
      return b;
    }
    throw error(node, what + " must be true or false, got " + describe(node.value()));
  }

  private String string(Node node, String what) {
    if (node.value() instanceof String s) {
      return s;
    }
    throw error(node, what + " must be text, got " + describe(node.value()));
  }

  private static String describe(Object v) {
    if (v == null) {
      return "nothing";
    }
    if (v instanceof String s) {
      return "'" + s + "'";
    }
    if (v instanceof Map) {
      return "a mapping";
    }
    if (v instanceof List) {
      return "a list";
    }
    return v.toString();
  }

  private ScheduleException error(Node node, String message) {
    return new ScheduleException(source + " line " + node.line() + ": " + message);
  }

  private Node read(JsonParser p) throws IOException {
    int line = p.currentTokenLocation().getLineNr();
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        Map<String, Node> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          int keyLine = p.currentTokenLocation().getLineNr();
          p.nextToken();
          Node value = read(p);
          if (map.containsKey(key)) {
            throw new ScheduleException(
                source + " line " + keyLine + ": '" + key + "' given twice");
          }
          map.put(key, new Node(value.value(), keyLine));
        }
        return new Node(map, line);
      }
      case START_ARRAY -> {
        List<Node> list = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          list.add(read(p));
        }
        return new Node(list, line);
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        return new Node(p.getNumberValue(), line);
      }
      case VALUE_STRING -> {
        return new Node(p.getText(), line);
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return new Node(p.getBooleanValue(), line);
      }
      case VALUE_NULL -> {
        return new Node(null, line);
      }
      default -> throw new ScheduleException(source + " line " + line + ": unexpected " + t);
    }
  }
}
