package dev.cardinal.app;

import static dev.cardinal.app.RegistryClient.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cardinal.core.Topics;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.core.kafka.TopicSnapshot;
import dev.cardinal.core.wire.WireFormatException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code cardinal sweep report ID}: the study's table as the registry answers it ({@code GET
 * /api/sweeps/{id}}: best top-1 raw and EMA, MACs, parameters, images/s, regime, Pareto fronts and
 * the advice per point). Without a registry it prints what {@code cardinal.sweeps} and {@code
 * cardinal.evaluations} hold (no fronts, no advice).
 */
@Command(
    name = "report",
    description =
        "Print a sweep's table: per point its MACs, parameters, state, images/s, best top-1 (raw"
            + " and EMA), regime and the registry's advice on what to scale next.")
final class SweepReport implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "ID", description = "Sweep id.")
  String sweepId;

  @Mixin CheckpointsCommand.RegistryOptions registry;
  @Mixin SweepCommand.Connection connection;

  @Override
  public Integer call() {
    JsonNode sweep;
    String source;
    try {
      sweep = registry.client().get("/api/sweeps/" + segment(sweepId));
      source = "registry " + registry.url;
    } catch (UserError registryUnavailable) {
      System.err.println(
          "cardinal: "
              + registryUnavailable.getMessage()
              + "; reading the sweep from Kafka instead (no fronts or advice)");
      try (Services services = connection.kafkaOnly();
          SweepLog sweepLog = new SweepLog(services.kafka())) {
        SweepFold fold = sweepLog.read().sweep(sweepId);
        sweep = fromEvents(fold, evaluations(services, fold));
        source = Topics.SWEEPS + " and " + Topics.EVALUATIONS;
      }
    }
    if (registry.json) {
      System.out.println(Json.toString(sweep));
    } else {
      System.out.print(render(sweep, source));
    }
    return 0;
  }

  /** The table and, under it, each point's advice with the evidence it rests on. */
  static String render(JsonNode sweep, String source) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "Sweep %s on %s: %s, %s samples per point (from %s)%n",
            sweep.path("sweepId").asText(),
            sweep.path("dataset").asText("?"),
            sweep.path("state").asText("?"),
            sweep.path("budgetSamples").asText("?"),
            source));
    TextTable table =
        new TextTable(
            "POINT",
            "FAMILY",
            "MMACS",
            "PARAMS",
            "STATE",
            "SAMPLES",
            "IMG/S",
            "TOP1 RAW",
            "TOP1 EMA",
            "BEST AT",
            "VERDICT",
            "GAP",
            "PARETO");
    for (JsonNode p : sweep.path("points")) {
      JsonNode best = p.path("best");
      table.add(
          p.path("pointId").asText(),
          p.path("family").asText(),
          format("%.1f", p.path("macs").asDouble() / 1e6),
          format("%,d", p.path("parameters").asLong()),
          p.path("state").asText(),
          format("%,d", p.path("samplesTrained").asLong()),
          p.hasNonNull("trainImagesPerSecond")
              ? format("%.0f", p.get("trainImagesPerSecond").asDouble())
              : "-",
          percent(p.path("bestTop1").path("raw")),
          percent(p.path("bestTop1").path("ema")),
          best.isMissingNode() || best.isNull()
              ? "-"
              : best.path("resolution").asInt() + "px " + best.path("weights").asText(),
          p.path("verdict").asText("-"),
          p.hasNonNull("gap") ? format("%+.3f", p.get("gap").asDouble()) : "-",
          pareto(p));
    }
    out.append(table);
    for (JsonNode p : sweep.path("points")) {
      JsonNode advice = p.path("recommendation");
      if (advice.hasNonNull("advice")) {
        out.append(p.path("pointId").asText()).append(": ").append(advice.get("advice").asText());
        List<String> evidence = new ArrayList<>();
        advice.path("evidence").forEach(e -> evidence.add(e.asText()));
        if (!evidence.isEmpty()) {
          out.append(" (evidence: ").append(String.join("; ", evidence)).append(')');
        }
        out.append('\n');
      }
    }
    return out.toString();
  }

  private static String pareto(JsonNode p) {
    String macs = p.path("paretoMacs").asBoolean(false) ? "macs" : "";
    String time = p.path("paretoTime").asBoolean(false) ? "time" : "";
    String both = (macs + " " + time).strip().replace(' ', '+');
    return both.isEmpty() ? "-" : both;
  }

  private static String percent(JsonNode top1) {
    return top1.isNumber() ? format("%.2f%%", top1.asDouble() * 100) : "-";
  }

  private static String format(String pattern, Object value) {
    return String.format(Locale.ROOT, pattern, value);
  }

  /** Every scored evaluation of the sweep's runs, by run. */
  private static Map<String, List<EvaluationEvent>> evaluations(Services services, SweepFold fold) {
    Map<String, List<EvaluationEvent>> byRun = new HashMap<>();
    fold.points().forEach(p -> byRun.put(p.runId(), new ArrayList<>()));
    for (ConsumerRecord<byte[], byte[]> record :
        TopicSnapshot.read(services.kafka(), Topics.EVALUATIONS, Duration.ofSeconds(60))) {
      try {
        EvaluationEvent e = Json.fromBytes(record.value(), EvaluationEvent.class);
        if (e.result().error() == null && byRun.containsKey(e.runId())) {
          byRun.get(e.runId()).add(e);
        }
      } catch (WireFormatException skipped) {
        // Not an evaluation: the registry passes over it too.
      }
    }
    return byRun;
  }

  /** The registry's sweep JSON, as far as the events alone tell it. */
  static JsonNode fromEvents(SweepFold fold, Map<String, List<EvaluationEvent>> byRun) {
    ObjectNode sweep = Json.MAPPER.createObjectNode();
    sweep.put("sweepId", fold.sweepId());
    sweep.put("dataset", fold.dataset());
    sweep.put("budgetSamples", fold.budgetSamples());
    sweep.put("state", fold.state());
    ArrayNode points = sweep.putArray("points");
    for (SweepPoint point : fold.points()) {
      ObjectNode p = (ObjectNode) Json.toTree(point);
      p.put("state", fold.state(point.pointId()));
      SweepEvent progress = fold.progress(point.pointId());
      if (progress != null) {
        p.put("samplesTrained", progress.samplesTrained());
        p.put("trainImagesPerSecond", progress.trainImagesPerSecond());
      }
      List<EvaluationEvent> scored = byRun.getOrDefault(point.runId(), List.of());
      ObjectNode bestTop1 = p.putObject("bestTop1");
      for (String weights : List.of("raw", "ema")) {
        scored.stream()
            .filter(e -> weights.equals(e.result().plan().weights()))
            .mapToDouble(e -> e.result().scores().top1())
            .max()
            .ifPresent(top1 -> bestTop1.put(weights, top1));
      }
      scored.stream()
          .max(Comparator.comparingDouble(e -> e.result().scores().top1()))
          .ifPresent(
              e ->
                  p.putObject("best")
                      .put("resolution", e.result().plan().resolution())
                      .put("weights", e.result().plan().weights())
                      .put("top1", e.result().scores().top1())
                      .put("step", e.step()));
      scored.stream()
          .filter(e -> e.result().regularization().verdict() != null)
          .max(Comparator.comparingLong(EvaluationEvent::step))
          .ifPresent(
              e -> {
                p.put("verdict", e.result().regularization().verdict());
                p.put("gap", e.result().gap().trainEvalGap());
              });
      points.add(p);
    }
    return sweep;
  }
}
