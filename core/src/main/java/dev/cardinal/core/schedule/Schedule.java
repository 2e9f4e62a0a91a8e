package dev.cardinal.core.schedule;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.wire.ScheduleStamp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A run's schedule: a function from training progress in epochs to the {@link ScheduleStage}
 * (resolution and regularization) in force. It is made of non-overlapping segments {@code [from,
 * to)}; in each, a parameter is constant, ramps linearly (optionally in steps of a quantum), or
 * steps through listed values. A parameter a segment does not name takes the schedule's default.
 * Before the first segment the first one's start applies; after a segment ends (a gap or the end of
 * the schedule) its end values hold until the next one begins.
 *
 * <p>Schedule file (YAML or JSON):
 *
 * <pre>
 * name: progressive
 * testResolution: 224
 * testFlip: false      # true: score each test image and its mirror, averaging the two (TTA)
 * defaults: {randAugmentOps: 2, labelSmoothing: 0.1}
 * segments:
 *   - {from: 0, to: 65, trainResolution: 160, randAugmentMagnitude: 5}
 *   - from: 65
 *     to: 76
 *     trainResolution: {start: 160, end: 192, step: 16}   # linear ramp, stepped
 *     randAugmentMagnitude: {start: 5, end: 9}              # linear ramp
 *     dropoutRate: {steps: [0.1, 0.2, 0.25]}                # equal steps
 *   - {from: 76, trainResolution: 192, randAugmentMagnitude: 9}  # open end
 * </pre>
 *
 * <p>Serialized with Jackson it is that same document as JSON, so it travels in checkpoint events
 * and manifests and reads back equal.
 */
public final class Schedule {
  private static final Pattern FIXED_PRESET = Pattern.compile("fixed-(\\d{1,5})");
  private static final List<String> PRESETS =
      List.of("fixed", "progressive", "resnet-rs", "fashion-mnist");

  private final String name;
  private final int testResolution;
  private final boolean testFlip;
  private final Map<String, Double> defaults;
  private final List<Segment> segments;

  record Segment(double from, double to, Map<String, Value> values, int line) {
    boolean open() {
      return to == Double.POSITIVE_INFINITY;
    }
  }

  private Schedule(
      String name,
      Integer testResolution,
      boolean testFlip,
      Map<String, Double> defaults,
      List<Segment> segments) {
    this.name = name;
    this.testFlip = testFlip;
    this.defaults = Collections.unmodifiableMap(new LinkedHashMap<>(defaults));
    List<Segment> sorted = new ArrayList<>(segments);
    sorted.sort((a, b) -> Double.compare(a.from(), b.from()));
    this.segments = List.copyOf(sorted);
    this.testResolution =
        testResolution != null ? testResolution : resolutions().get(resolutions().size() - 1);
  }

  // ---------------------------------------------------------------- queries

  public String name() {
    return name;
  }

  /** The stage in force after {@code epochs} epochs of training (fractional within an epoch). */
  public ScheduleStage at(double epochs) {
    if (segments.isEmpty()) {
      return stage(null, 0);
    }
    Segment current = null;
    for (Segment s : segments) {
      if (s.from() <= epochs) {
        current = s;
      }
    }
    if (current == null) {
      return stage(segments.get(0), 0);
    }
    if (epochs >= current.to()) {
      return stage(current, 1);
    }
    double t = current.open() ? 0 : (epochs - current.from()) / (current.to() - current.from());
    return stage(current, t);
  }

  /** The stage for a batch stamped at this position. */
  public ScheduleStage at(ScheduleStamp stamp) {
    return at(stamp.progressEpochs());
  }

  /** Every train resolution this schedule can produce, ascending. */
  public List<Integer> resolutions() {
    TreeSet<Integer> out = new TreeSet<>();
    if (segments.isEmpty()) {
      out.add(stage(null, 0).trainResolution());
    }
    for (Segment s : segments) {
      Value v = s.values().get("trainResolution");
      if (v == null) {
        out.add(stage(s, 0).trainResolution());
      } else {
        for (double r : v.distinct()) {
          out.add((int) Math.round(r));
        }
      }
    }
    return List.copyOf(out);
  }

  /**
   * The largest value a parameter takes anywhere in the schedule, e.g. the drop-path rate a network
   * must be built for before a schedule raises it.
   */
  public double maximum(java.util.function.ToDoubleFunction<ScheduleStage> parameter) {
    if (segments.isEmpty()) {
      return parameter.applyAsDouble(stage(null, 0));
    }
    double max = Double.NEGATIVE_INFINITY;
    for (Segment s : segments) {
      // 101 points per segment: exact for ramps and for step lists of up to 100 steps.
      for (int i = 0; i <= 100; i++) {
        max = Math.max(max, parameter.applyAsDouble(stage(s, i / 100.0)));
      }
    }
    return max;
  }

  /**
   * The parameters some segment sets, in {@link ScheduleStage#PARAMETERS} order: the ones that can
   * change over training (every other one holds its default throughout).
   */
  public List<String> scheduledParameters() {
    return ScheduleStage.PARAMETERS.stream()
        .filter(p -> segments.stream().anyMatch(s -> s.values().containsKey(p)))
        .toList();
  }

  /**
   * The epoch where the schedule's last segment ends, one epoch past its start when it is open
   * (nothing changes after that): how far a chart of the schedule needs to reach. 0 without
   * segments.
   */
  public double lastEpoch() {
    double end = 0;
    for (Segment s : segments) {
      end = Math.max(end, s.open() ? s.from() + 1 : s.to());
    }
    return end;
  }

  /** The resolution the finished model is tested at (the largest train resolution if unset). */
  public int testResolution() {
    return testResolution;
  }

  /**
   * Whether an evaluation averages the predictions for each test image and its mirror image
   * (horizontal-flip test-time augmentation, timm's {@code --tta}). It suits schedules that train
   * with random flips, and doubles what an evaluation costs.
   */
  public boolean testFlip() {
    return testFlip;
  }

  /** The train resolutions and the test resolution, ascending: what an evaluator scores at. */
  public List<Integer> evaluationResolutions() {
    TreeSet<Integer> out = new TreeSet<>(resolutions());
    out.add(testResolution);
    return List.copyOf(out);
  }

  private ScheduleStage stage(Segment segment, double t) {
    double[] v = new double[ScheduleStage.PARAMETERS.size()];
    for (int i = 0; i < v.length; i++) {
      String p = ScheduleStage.PARAMETERS.get(i);
      Value value = segment == null ? null : segment.values().get(p);
      v[i] = value != null ? value.at(t) : defaults.getOrDefault(p, ScheduleStage.defaultValue(p));
    }
    return ScheduleStage.of(v);
  }

  // ---------------------------------------------------------------- construction

  /** A constant schedule at {@code resolution} px, no regularization; CIFAR-sized runs pad-crop. */
  public static Schedule fixed(int resolution) {
    if (resolution <= 0 || resolution > 16_384) {
      throw new ScheduleException("fixed schedule resolution must be 1..16384, got " + resolution);
    }
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("trainResolution", (double) resolution);
    d.put("randAugmentMagnitude", 0.0);
    // He et al.'s CIFAR recipe pads 4 px around 32 px images; RandomResizedCrop is for larger ones.
    d.put("cropPadding", resolution <= 64 ? (double) Math.max(1, resolution / 8) : 0.0);
    return new Schedule("fixed-" + resolution, resolution, false, d, List.of());
  }

  /**
   * The shipped presets by name: {@code fixed}, {@code progressive}, {@code resnet-rs}, and {@code
   * fixed-<px>} for {@link #fixed(int)}.
   */
  public static Schedule preset(String name) {
    Matcher m = FIXED_PRESET.matcher(name);
    if (m.matches()) {
      return fixed(Integer.parseInt(m.group(1)));
    }
    if (!PRESETS.contains(name)) {
      throw new ScheduleException(
          "no schedule preset named '" + name + "': presets are " + presetNames());
    }
    String resource = "/schedules/" + name + ".yaml";
    try (InputStream in = Schedule.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("preset " + resource + " missing from the core jar");
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "preset " + name);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read preset " + resource, e);
    }
  }

  public static List<String> presetNames() {
    List<String> names = new ArrayList<>(PRESETS);
    names.add("fixed-<px>");
    return names;
  }

  /** A preset name or a path to a schedule file, as a {@code --schedule} flag takes it. */
  public static Schedule resolve(String presetOrPath) {
    if (PRESETS.contains(presetOrPath) || FIXED_PRESET.matcher(presetOrPath).matches()) {
      return preset(presetOrPath);
    }
    Path path = Path.of(presetOrPath);
    if (!Files.exists(path)) {
      throw new ScheduleException(
          "schedule '"
              + presetOrPath
              + "' is neither a preset "
              + presetNames()
              + " nor an existing file");
    }
    return load(path);
  }

  /** Reads a YAML or JSON schedule file. */
  public static Schedule load(Path path) {
    try {
      return parse(Files.readString(path), path.toString());
    } catch (NoSuchFileException e) {
      throw new ScheduleException("schedule file " + path + " does not exist");
    } catch (IOException e) {
      throw new ScheduleException("cannot read schedule file " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses a YAML or JSON schedule.
   *
   * @param sourceName what error messages call the text (a file name)
   * @throws ScheduleException naming the source and line of what is wrong
   */
  public static Schedule parse(String text, String sourceName) {
    return ScheduleParser.parse(text, sourceName);
  }

  static Schedule of(
      String name,
      Integer testResolution,
      boolean testFlip,
      Map<String, Double> defaults,
      List<Segment> segments) {
    return new Schedule(name, testResolution, testFlip, defaults, segments);
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static Schedule fromJson(JsonNode node) {
    return parse(node.toString(), "schedule JSON");
  }

  /** The schedule as the document {@link #parse} reads. */
  @JsonValue
  public JsonNode toJson() {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("name", name);
    root.put("testResolution", testResolution);
    if (testFlip) {
      root.put("testFlip", true); // absent means false, as in documents from before the field
    }
    ObjectNode d = root.putObject("defaults");
    defaults.forEach((k, v) -> putNumber(d, k, v));
    ArrayNode list = root.putArray("segments");
    for (Segment s : segments) {
      ObjectNode o = list.addObject();
      putNumber(o, "from", s.from());
      if (!s.open()) {
        putNumber(o, "to", s.to());
      }
      s.values()
          .forEach(
              (k, v) -> {
                if (v instanceof Value.Constant c) {
                  putNumber(o, k, c.value());
                } else if (v instanceof Value.Ramp r) {
                  ObjectNode ramp = o.putObject(k);
                  putNumber(ramp, "start", r.start());
                  putNumber(ramp, "end", r.end());
                  if (r.step() > 0) {
                    putNumber(ramp, "step", r.step());
                  }
                } else if (v instanceof Value.Steps st) {
                  ArrayNode a = o.putObject(k).putArray("steps");
                  for (double x : st.values()) {
                    a.add(x);
                  }
                }
              });
    }
    return root;
  }

  private static void putNumber(ObjectNode o, String key, double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      o.put(key, (long) v);
    } else {
      o.put(key, v);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Schedule s
        && name.equals(s.name)
        && testResolution == s.testResolution
        && testFlip == s.testFlip
        && defaults.equals(s.defaults)
        && segments.stream()
            .map(Schedule::withoutLine)
            .toList()
            .equals(s.segments.stream().map(Schedule::withoutLine).toList());
  }

  private static Segment withoutLine(Segment s) {
    return new Segment(s.from(), s.to(), s.values(), 0);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, testResolution, defaults);
  }

  @Override
  public String toString() {
    return "Schedule["
        + name
        + ", train "
        + resolutions()
        + ", test "
        + testResolution
        + (testFlip ? " with its mirror" : "")
        + "]";
  }
}
