package dev.cardinal.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.event.Json;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The registry's JSON answers as text for people. It shows what the registry says, the best
 * evaluation included, and decides nothing itself: "best" is the registry's rule, in one place.
 */
final class CheckpointPrinter {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  private CheckpointPrinter() {}

  /** The answer as the registry gave it, for scripts. */
  static void printJson(JsonNode node) {
    System.out.println(Json.toString(node));
  }

  /** Rows of {@code GET /api/checkpoints}, with the best evaluation the registry names for each. */
  static void printCheckpoints(Iterable<JsonNode> checkpoints) {
    TextTable table =
        new TextTable(
            "RUN", "STEP", "EPOCH", "MODEL", "CREATED", "BEST TOP-1", "AT", "ALIASES/TAGS");
    for (JsonNode c : checkpoints) {
      table.add(
          c.path("run").asText(),
          c.path("step").asText(),
          c.path("epoch").asText(),
          c.path("model").asText(""),
          time(c.path("createdAtMs").asLong())
              + (c.path("deleted").asBoolean() ? " (deleted)" : ""),
          pct(c.get("bestTop1")),
          c.hasNonNull("bestResolution")
              ? c.path("bestResolution").asText() + "/" + c.path("bestWeights").asText()
              : "",
          join(c.get("aliases"), c.get("tags")));
    }
    System.out.print(table);
  }

  /** The answer of {@code GET /api/runs/{run}/best}: the value, where it was reached, the rest. */
  static void printBest(String run, String metric, JsonNode best) {
    JsonNode e = best.path("evaluation");
    System.out.printf(
        "Best %s of %s: %s at step %s (%s px, %s weights)%n",
        best.path("metric").asText(),
        run,
        metric.equals("nll")
            ? String.format("%.4f", best.path("value").asDouble())
            : pct(best.get("value")),
        best.path("checkpoint").path("step").asText(),
        e.path("resolution").asText(),
        e.path("weights").asText());
    printCheckpoint(best.path("checkpoint"));
  }

  /**
   * The runs of {@code GET /api/runs} as a leaderboard: in the registry's {@code bestRank} order
   * (its one rule for "best"), runs without a rank last.
   */
  static void printRuns(JsonNode runs) {
    if (runs.isEmpty()) {
      System.out.print("No runs yet.\n");
      return;
    }
    List<JsonNode> ranked = new ArrayList<>();
    runs.forEach(ranked::add);
    ranked.sort(Comparator.comparingInt(r -> r.path("bestRank").asInt(Integer.MAX_VALUE)));
    TextTable table =
        new TextTable("RUN", "MODEL", "CHECKPOINTS", "LATEST STEP", "BEST TOP-1", "AT", "ALIASES");
    for (JsonNode r : ranked) {
      List<String> aliases = new ArrayList<>();
      r.path("aliases")
          .properties()
          .forEach(e -> aliases.add(e.getKey() + "->" + e.getValue().asText()));
      table.add(
          r.path("run").asText(),
          r.path("model").asText(""),
          r.path("checkpoints").asText(),
          r.path("latestStep").asText("-"),
          pct(r.get("bestTop1")),
          r.hasNonNull("bestTop1Step")
              ? "step "
                  + r.get("bestTop1Step").asText()
                  + ", "
                  + r.path("bestTop1Resolution").asText()
                  + "/"
                  + r.path("bestTop1Weights").asText()
              : "",
          String.join(", ", aliases));
    }
    System.out.print(table);
  }

  /** A run's aliases ({@code GET /api/runs/{run}/aliases}: alias to step). */
  static void printAliases(String run, JsonNode aliases) {
    TextTable table = new TextTable("ALIAS", "STEP");
    aliases.properties().forEach(e -> table.add(e.getKey(), e.getValue().asText()));
    System.out.print(aliases.isEmpty() ? "Run " + run + " has no aliases.\n" : table);
  }

  /** One checkpoint with its evaluations. */
  static void printCheckpoint(JsonNode c) {
    System.out.printf("Checkpoint %s%n", c.path("id").asText());
    System.out.printf("  run        %s%n", c.path("run").asText());
    System.out.printf(
        "  step       %s (epoch %s, %s samples)%n",
        c.path("step").asText(), c.path("epoch").asText(), c.path("samplesSeen").asText());
    System.out.printf("  model      %s%n", c.path("model").asText(""));
    System.out.printf(
        "  created    %s%s%n",
        time(c.path("createdAtMs").asLong()),
        c.path("deleted").asBoolean() ? " (deleted by retention)" : "");
    System.out.printf(
        "  location   s3://%s/%s%n", c.path("bucket").asText(""), c.path("prefix").asText(""));
    System.out.printf("  aliases    %s%n", join(c.get("aliases"), null));
    System.out.printf("  tags       %s%n", join(c.get("tags"), null));
    JsonNode evaluations = c.path("evaluations");
    if (evaluations.isEmpty()) {
      System.out.println("  no evaluations yet");
      return;
    }
    TextTable table =
        new TextTable("RESOLUTION", "WEIGHTS", "TOP-1", "TOP-5", "NLL", "IMAGES", "ERROR");
    for (JsonNode e : evaluations) {
      table.add(
          e.path("resolution").asText(),
          e.path("weights").asText(),
          pct(e.get("top1")),
          pct(e.get("top5")),
          e.hasNonNull("nll") ? String.format("%.4f", e.get("nll").asDouble()) : "-",
          e.path("images").asText(),
          e.path("error").asText(""));
    }
    System.out.print(table.indent("  "));
  }

  /** A share as a percentage with two decimals; "-" when the registry has no number. */
  static String pct(JsonNode value) {
    return value == null || !value.isNumber()
        ? "-"
        : String.format("%.2f%%", 100 * value.asDouble());
  }

  private static String join(JsonNode first, JsonNode second) {
    List<String> out = new ArrayList<>();
    for (JsonNode list : new JsonNode[] {first, second}) {
      if (list != null) {
        list.forEach(n -> out.add(n.asText()));
      }
    }
    return out.isEmpty() ? "-" : String.join(", ", out);
  }

  private static String time(long epochMs) {
    return TIME.format(Instant.ofEpochMilli(epochMs));
  }
}
