package dev.cardinal.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.cardinal.core.event.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cardinal checkpoints}: the registry's main queries from the shell, over its REST API.
 * Tables for people, {@code --json} for scripts.
 */
@Command(
    name = "checkpoints",
    mixinStandardHelpOptions = true,
    description = "Query a running registry: list, show, best, runs and aliases of checkpoints.",
    subcommands = {
      CheckpointsCommand.ListCheckpoints.class,
      CheckpointsCommand.Show.class,
      CheckpointsCommand.Best.class,
      CheckpointsCommand.Runs.class,
      CheckpointsCommand.Alias.class
    })
public final class CheckpointsCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Where the registry is and how to print; shared by every subcommand. */
  static final class Client {
    private static final HttpClient HTTP =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Option(
        names = "--registry",
        defaultValue = "${env:CARDINAL_REGISTRY:-http://localhost:8080}",
        description = "Registry base URL. Env CARDINAL_REGISTRY. Default: ${DEFAULT-VALUE}")
    String registry;

    @Option(
        names = "--json",
        defaultValue = "false",
        description = "Print the registry's JSON instead of a table. Default: ${DEFAULT-VALUE}")
    boolean json;

    JsonNode get(String pathAndQuery) {
      return send(HttpRequest.newBuilder().GET(), pathAndQuery, null).body();
    }

    Reply send(HttpRequest.Builder request, String pathAndQuery, String token) {
      URI uri = uri(pathAndQuery);
      if (token != null) {
        request.header("Authorization", "Bearer " + token);
      }
      HttpResponse<String> response;
      try {
        response =
            HTTP.send(
                request.uri(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
      } catch (ConnectException | HttpConnectTimeoutException e) {
        throw new UserError(
            "no registry answers at "
                + base()
                + ": start one with 'cardinal registry' or 'cardinal run', or point --registry /"
                + " CARDINAL_REGISTRY at it");
      } catch (IOException e) {
        throw new UserError("talking to the registry at " + base() + " failed: " + e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UserError("interrupted while waiting for the registry");
      }
      JsonNode body;
      try {
        body = Json.MAPPER.readTree(response.body());
      } catch (IOException e) {
        throw new UserError(
            base()
                + " answered HTTP "
                + response.statusCode()
                + " with something that is not"
                + " JSON: is --registry the Cardinal registry?");
      }
      if (response.statusCode() >= 400) {
        String error = body != null && body.hasNonNull("error") ? body.get("error").asText() : "";
        throw new UserError("registry refused (HTTP " + response.statusCode() + "): " + error);
      }
      return new Reply(body, response.headers().firstValue("X-Next-Cursor").orElse(null));
    }

    private String base() {
      String b = registry == null ? "" : registry.strip();
      while (b.endsWith("/")) {
        b = b.substring(0, b.length() - 1);
      }
      return b;
    }

    private URI uri(String pathAndQuery) {
      try {
        URI uri = URI.create(base() + pathAndQuery);
        if (uri.getScheme() == null
            || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
            || uri.getHost() == null) {
          throw new IllegalArgumentException("not an http(s) URL");
        }
        return uri;
      } catch (IllegalArgumentException e) {
        throw new UserError(
            "--registry '" + registry + "' is not a URL such as http://localhost:8080");
      }
    }

    void print(JsonNode node) {
      System.out.println(Json.toString(node));
    }
  }

  record Reply(JsonNode body, String nextCursor) {}

  /** Token for changes, from the flag or the environment. */
  static final class TokenOption {
    @Option(
        names = "--token",
        defaultValue = "${env:CARDINAL_REGISTRY_TOKEN}",
        description =
            "The registry's admin token (printed when it first started). Env"
                + " CARDINAL_REGISTRY_TOKEN. Default: none",
        showDefaultValue = picocli.CommandLine.Help.Visibility.NEVER)
    String token;

    String require() {
      if (token == null || token.isBlank()) {
        throw new UserError(
            "changing an alias needs the registry's admin token: pass --token or set"
                + " CARDINAL_REGISTRY_TOKEN (the registry printed it when it first started)");
      }
      return token.strip();
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List checkpoints, newest first unless --sort says otherwise.")
  static final class ListCheckpoints implements Callable<Integer> {
    @Mixin Client client;

    @Option(names = "--run", description = "Only this run. Default: none")
    String run;

    @Option(names = "--model", description = "Only this model preset. Default: none")
    String model;

    @Option(names = "--min-step", description = "Only steps >= this. Default: none")
    Long minStep;

    @Option(names = "--max-step", description = "Only steps <= this. Default: none")
    Long maxStep;

    @Option(
        names = "--since",
        description =
            "Only checkpoints created at or after this time (2025-06-01, 2025-06-01T12:00:00Z or"
                + " epoch ms). Default: none")
    String since;

    @Option(
        names = "--until",
        description = "Only checkpoints created before this time. Default: none")
    String until;

    @Option(names = "--tag", description = "Only checkpoints with this tag. Default: none")
    String tag;

    @Option(
        names = "--resolution",
        description =
            "Scores (filters, sort and the table's score column) at this resolution. Default:"
                + " any")
    Integer resolution;

    @Option(names = "--weights", description = "Scores of raw or ema weights only. Default: either")
    String weights;

    @Option(names = "--min-top1", description = "Only top-1 >= this (0-1). Default: none")
    Double minTop1;

    @Option(names = "--min-top5", description = "Only top-5 >= this (0-1). Default: none")
    Double minTop5;

    @Option(names = "--max-nll", description = "Only NLL <= this. Default: none")
    Double maxNll;

    @Option(
        names = "--sort",
        defaultValue = "created",
        description = "created, step, top1, top5 or nll. Default: ${DEFAULT-VALUE}")
    String sort;

    @Option(
        names = "--order",
        description = "asc or desc. Default: highest first (lowest first for nll)")
    String order;

    @Option(
        names = "--limit",
        defaultValue = "20",
        description = "Rows to print (1-1000). Default: ${DEFAULT-VALUE}")
    int limit;

    @Option(
        names = "--all",
        defaultValue = "false",
        description =
            "Follow the pages to the end instead of stopping at --limit. Default:"
                + " ${DEFAULT-VALUE}")
    boolean all;

    @Option(
        names = "--include-deleted",
        defaultValue = "false",
        description = "Also list checkpoints retention deleted. Default: ${DEFAULT-VALUE}")
    boolean includeDeleted;

    @Override
    public Integer call() {
      if (limit < 1 || limit > 1000) {
        throw new UserError("--limit must be between 1 and 1000, got " + limit);
      }
      Map<String, Object> q = new LinkedHashMap<>();
      q.put("run", run);
      q.put("model", model);
      q.put("minStep", minStep);
      q.put("maxStep", maxStep);
      q.put("since", time("--since", since));
      q.put("until", time("--until", until));
      q.put("tag", tag);
      q.put("resolution", resolution);
      q.put("weights", weights);
      q.put("minTop1", minTop1);
      q.put("minTop5", minTop5);
      q.put("maxNll", maxNll);
      q.put("sort", sort);
      q.put("order", order);
      q.put("includeDeleted", includeDeleted ? "true" : null);
      q.put("limit", limit);
      ArrayNode rows = Json.MAPPER.createArrayNode();
      String cursor = null;
      do {
        Map<String, Object> page = new LinkedHashMap<>(q);
        page.put("cursor", cursor);
        Reply reply =
            client.send(HttpRequest.newBuilder().GET(), "/api/checkpoints" + query(page), null);
        reply.body().forEach(rows::add);
        cursor = reply.nextCursor();
      } while (all && cursor != null);
      if (client.json) {
        client.print(rows);
        return 0;
      }
      if (rows.isEmpty()) {
        System.out.println("No checkpoints match.");
        return 0;
      }
      Table table =
          new Table("RUN", "STEP", "EPOCH", "MODEL", "CREATED", "BEST TOP-1", "AT", "ALIASES/TAGS");
      for (JsonNode c : rows) {
        JsonNode best = bestEvaluation(c.get("evaluations"), resolution, weights);
        table.add(
            c.path("run").asText(),
            c.path("step").asText(),
            c.path("epoch").asText(),
            c.path("model").asText(""),
            time(c.path("createdAtMs").asLong())
                + (c.path("deleted").asBoolean() ? " (deleted)" : ""),
            best == null ? "-" : pct(best.get("top1")),
            best == null
                ? ""
                : best.path("resolution").asText() + "/" + best.path("weights").asText(),
            join(c.get("aliases"), c.get("tags")));
      }
      System.out.print(table);
      if (!all && cursor != null) {
        System.out.println("(more: raise --limit or pass --all)");
      }
      return 0;
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "One checkpoint with its evaluations, spec and schedule.")
  static final class Show implements Callable<Integer> {
    @Mixin Client client;

    @Parameters(index = "0", paramLabel = "RUN", description = "The run.")
    String run;

    @Parameters(
        index = "1",
        paramLabel = "STEP|ALIAS",
        description = "A step, or an alias of the run such as champion.")
    String stepOrAlias;

    @Override
    public Integer call() {
      JsonNode c =
          stepOrAlias.chars().allMatch(Character::isDigit)
              ? client.get("/api/checkpoints/" + segment(run) + "/" + stepOrAlias)
              : client.get("/api/runs/" + segment(run) + "/aliases/" + segment(stepOrAlias));
      if (client.json) {
        client.print(c);
        return 0;
      }
      printCheckpoint(c);
      return 0;
    }
  }

  @Command(
      name = "best",
      mixinStandardHelpOptions = true,
      description = "The run's best existing checkpoint by an evaluation metric.")
  static final class Best implements Callable<Integer> {
    @Mixin Client client;

    @Parameters(index = "0", paramLabel = "RUN", description = "The run.")
    String run;

    @Option(
        names = "--metric",
        defaultValue = "top1",
        description = "top1, top5 (highest wins) or nll (lowest wins). Default: ${DEFAULT-VALUE}")
    String metric;

    @Option(
        names = "--resolution",
        description = "Only evaluations at this resolution. Default: any")
    Integer resolution;

    @Option(names = "--weights", description = "raw or ema. Default: either")
    String weights;

    @Override
    public Integer call() {
      Map<String, Object> q = new LinkedHashMap<>();
      q.put("metric", metric);
      q.put("resolution", resolution);
      q.put("weights", weights);
      JsonNode best = client.get("/api/runs/" + segment(run) + "/best" + query(q));
      if (client.json) {
        client.print(best);
        return 0;
      }
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
      return 0;
    }
  }

  @Command(
      name = "runs",
      mixinStandardHelpOptions = true,
      description = "Every run with its latest step and best top-1 (the leaderboard).")
  static final class Runs implements Callable<Integer> {
    @Mixin Client client;

    @Override
    public Integer call() {
      JsonNode runs = client.get("/api/runs");
      if (client.json) {
        client.print(runs);
        return 0;
      }
      List<JsonNode> sorted = new ArrayList<>();
      runs.forEach(sorted::add);
      sorted.sort(
          (a, b) ->
              Double.compare(b.path("bestTop1").asDouble(-1), a.path("bestTop1").asDouble(-1)));
      Table table =
          new Table("RUN", "MODEL", "CHECKPOINTS", "LATEST STEP", "BEST TOP-1", "AT", "ALIASES");
      for (JsonNode r : sorted) {
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
      System.out.print(runs.isEmpty() ? "No runs yet.\n" : table.toString());
      return 0;
    }
  }

  @Command(
      name = "alias",
      mixinStandardHelpOptions = true,
      description =
          "A run's aliases: list RUN; set RUN ALIAS STEP (create or move); move RUN ALIAS STEP"
              + " (only an existing alias); remove RUN ALIAS. Changes need --token.")
  static final class Alias implements Callable<Integer> {
    @Mixin Client client;
    @Mixin TokenOption token;

    @Parameters(index = "0", paramLabel = "ACTION", description = "list, set, move or remove.")
    String action;

    @Parameters(index = "1", paramLabel = "RUN", description = "The run.")
    String run;

    @Parameters(
        index = "2..*",
        arity = "0..2",
        paramLabel = "ALIAS STEP",
        description = "The alias, and the step it should point at.")
    List<String> rest = new ArrayList<>();

    @Override
    public Integer call() {
      String path = "/api/runs/" + segment(run) + "/aliases";
      switch (action) {
        case "list" -> {
          requireArgs(0, "list RUN");
          JsonNode aliases = client.get(path);
          if (client.json) {
            client.print(aliases);
            return 0;
          }
          Table table = new Table("ALIAS", "STEP");
          aliases.properties().forEach(e -> table.add(e.getKey(), e.getValue().asText()));
          System.out.print(aliases.isEmpty() ? "Run " + run + " has no aliases.\n" : table);
          return 0;
        }
        case "set", "move" -> {
          requireArgs(2, action + " RUN ALIAS STEP");
          String alias = rest.get(0);
          long step;
          try {
            step = Long.parseLong(rest.get(1));
          } catch (NumberFormatException e) {
            throw new UserError("STEP must be a whole number, got '" + rest.get(1) + "'");
          }
          String secret = token.require();
          if (action.equals("move")) {
            // Moving an alias that does not exist is a typo more often than an intent.
            JsonNode current = client.get(path);
            if (!current.has(alias)) {
              throw new UserError(
                  "run "
                      + run
                      + " has no alias "
                      + alias
                      + " to move: use 'alias set' to create"
                      + " it");
            }
          }
          JsonNode c =
              client
                  .send(
                      HttpRequest.newBuilder()
                          .header("Content-Type", "application/json")
                          .PUT(HttpRequest.BodyPublishers.ofString("{\"step\": " + step + "}")),
                      path + "/" + segment(alias),
                      secret)
                  .body();
          if (client.json) {
            client.print(c);
          } else {
            System.out.println(run + " " + alias + " -> step " + c.path("step").asText());
          }
          return 0;
        }
        case "remove" -> {
          requireArgs(1, "remove RUN ALIAS");
          JsonNode removed =
              client
                  .send(
                      HttpRequest.newBuilder().DELETE(),
                      path + "/" + segment(rest.get(0)),
                      token.require())
                  .body();
          if (client.json) {
            client.print(removed);
          } else {
            System.out.println("Removed alias " + rest.get(0) + " of " + run);
          }
          return 0;
        }
        default ->
            throw new UserError(
                "unknown alias action '" + action + "': use list, set, move or remove");
      }
    }

    private void requireArgs(int count, String usage) {
      if (rest.size() != count) {
        throw new UserError("usage: cardinal checkpoints alias " + usage);
      }
    }
  }

  // ---------------------------------------------------------------- formatting

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
    } else {
      Table table = new Table("RESOLUTION", "WEIGHTS", "TOP-1", "TOP-5", "NLL", "IMAGES", "ERROR");
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
  }

  static JsonNode bestEvaluation(JsonNode evaluations, Integer resolution, String weights) {
    JsonNode best = null;
    if (evaluations == null) {
      return null;
    }
    for (JsonNode e : evaluations) {
      if (!e.hasNonNull("top1")
          || (resolution != null && e.path("resolution").asInt() != resolution)
          || (weights != null && !weights.equals(e.path("weights").asText()))) {
        continue;
      }
      if (best == null || e.get("top1").asDouble() > best.get("top1").asDouble()) {
        best = e;
      }
    }
    return best;
  }

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

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  private static String time(long epochMs) {
    return TIME.format(Instant.ofEpochMilli(epochMs));
  }

  /** Epoch ms from a date, an instant or a number; null stays null. */
  static Long time(String flag, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.strip();
    if (v.chars().allMatch(Character::isDigit)) {
      return Long.parseLong(v);
    }
    try {
      return Instant.parse(v).toEpochMilli();
    } catch (DateTimeParseException e) {
      try {
        return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
      } catch (DateTimeParseException e2) {
        throw new UserError(
            flag
                + " '"
                + value
                + "' is not a time: use 2025-06-01, 2025-06-01T12:00:00Z or epoch"
                + " milliseconds");
      }
    }
  }

  static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String query(Map<String, Object> params) {
    StringBuilder q = new StringBuilder();
    for (Map.Entry<String, Object> e : params.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      q.append(q.length() == 0 ? '?' : '&')
          .append(e.getKey())
          .append('=')
          .append(URLEncoder.encode(String.valueOf(e.getValue()), StandardCharsets.UTF_8));
    }
    return q.toString();
  }

  /** Left-aligned text columns, numbers right-aligned. */
  static final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    Table(String... header) {
      columns = header.length;
      rows.add(header);
    }

    void add(String... cells) {
      rows.add(cells);
    }

    String indent(String prefix) {
      StringBuilder out = new StringBuilder();
      Iterator<String> lines = toString().lines().iterator();
      while (lines.hasNext()) {
        out.append(prefix).append(lines.next()).append('\n');
      }
      return out.toString();
    }

    @Override
    public String toString() {
      int[] width = new int[columns];
      for (String[] row : rows) {
        for (int i = 0; i < columns; i++) {
          width[i] = Math.max(width[i], row[i] == null ? 0 : row[i].length());
        }
      }
      StringBuilder out = new StringBuilder();
      for (String[] row : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < columns; i++) {
          String cell = row[i] == null ? "" : row[i];
          boolean numeric = row != rows.get(0) && cell.matches("-?[0-9.,]+%?");
          String pad = " ".repeat(width[i] - cell.length());
          line.append(numeric ? pad + cell : cell + pad);
          if (i < columns - 1) {
            line.append("  ");
          }
        }
        out.append(line.toString().stripTrailing()).append('\n');
      }
      return out.toString();
    }
  }
}
