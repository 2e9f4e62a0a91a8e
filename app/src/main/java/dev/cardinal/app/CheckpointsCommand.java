package dev.cardinal.app;

import static dev.cardinal.app.RegistryClient.query;
import static dev.cardinal.app.RegistryClient.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.cardinal.core.event.Json;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
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
    description = "Query a running registry: list, show, best, runs and aliases of checkpoints.",
    subcommands = {
      CheckpointsCommand.ListCheckpoints.class,
      CheckpointsCommand.Show.class,
      CheckpointsCommand.Best.class,
      CheckpointsCommand.Runs.class,
      CheckpointsCommand.Alias.class
    })
public final class CheckpointsCommand extends CommandGroup {

  /** Where the registry is and how to print; shared by every subcommand. */
  static final class RegistryOptions {
    @Option(
        names = "--registry",
        defaultValue = "${env:CARDINAL_REGISTRY:-http://localhost:8080}",
        description = "Registry base URL. Env CARDINAL_REGISTRY. Default: ${DEFAULT-VALUE}")
    String url;

    @Option(
        names = "--json",
        defaultValue = "false",
        description = "Print the registry's JSON instead of a table. Default: ${DEFAULT-VALUE}")
    boolean json;

    RegistryClient client() {
      return new RegistryClient(url);
    }

    /** Prints an answer of the registry: its JSON with --json, else as people read it. */
    int print(JsonNode answer, Consumer<JsonNode> forPeople) {
      if (json) {
        CheckpointPrinter.printJson(answer);
      } else {
        forPeople.accept(answer);
      }
      return 0;
    }
  }

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
      description = "List checkpoints, newest first unless --sort says otherwise.")
  static final class ListCheckpoints implements Callable<Integer> {
    @Mixin RegistryOptions registry;

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
            "Scores (filters and sort) at this resolution; the BEST column is the registry's"
                + " best evaluation. Default: any")
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
      UserError.requireBetween("--limit", limit, 1, 1000);
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
      RegistryClient client = registry.client();
      ArrayNode rows = Json.MAPPER.createArrayNode();
      String cursor = null;
      do {
        Map<String, Object> page = new LinkedHashMap<>(q);
        page.put("cursor", cursor);
        RegistryClient.Reply reply =
            client.send(HttpRequest.newBuilder().GET(), "/api/checkpoints" + query(page), null);
        reply.body().forEach(rows::add);
        cursor = reply.nextCursor();
      } while (all && cursor != null);
      if (registry.json) {
        CheckpointPrinter.printJson(rows);
        return 0;
      }
      if (rows.isEmpty()) {
        System.out.println("No checkpoints match.");
        return 0;
      }
      CheckpointPrinter.printCheckpoints(rows);
      if (!all && cursor != null) {
        System.out.println("(more: raise --limit or pass --all)");
      }
      return 0;
    }
  }

  @Command(name = "show", description = "One checkpoint with its evaluations, spec and schedule.")
  static final class Show implements Callable<Integer> {
    @Mixin RegistryOptions registry;

    @Parameters(index = "0", paramLabel = "RUN", description = "The run.")
    String run;

    @Parameters(
        index = "1",
        paramLabel = "STEP|ALIAS",
        description = "A step, or an alias of the run such as champion.")
    String stepOrAlias;

    @Override
    public Integer call() {
      RegistryClient client = registry.client();
      JsonNode c =
          stepOrAlias.chars().allMatch(Character::isDigit)
              ? client.get("/api/checkpoints/" + segment(run) + "/" + stepOrAlias)
              : client.get("/api/runs/" + segment(run) + "/aliases/" + segment(stepOrAlias));
      return registry.print(c, CheckpointPrinter::printCheckpoint);
    }
  }

  @Command(
      name = "best",
      description = "The run's best existing checkpoint by an evaluation metric.")
  static final class Best implements Callable<Integer> {
    @Mixin RegistryOptions registry;

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
      JsonNode best = registry.client().get("/api/runs/" + segment(run) + "/best" + query(q));
      return registry.print(best, b -> CheckpointPrinter.printBest(run, metric, b));
    }
  }

  @Command(
      name = "runs",
      description = "Every run with its latest step and best top-1 (the leaderboard).")
  static final class Runs implements Callable<Integer> {
    @Mixin RegistryOptions registry;

    @Override
    public Integer call() {
      return registry.print(registry.client().get("/api/runs"), CheckpointPrinter::printRuns);
    }
  }

  @Command(
      name = "alias",
      description =
          "A run's aliases: list RUN; set RUN ALIAS STEP (create or move); move RUN ALIAS STEP"
              + " (only an existing alias); remove RUN ALIAS. Changes need --token.")
  static final class Alias implements Callable<Integer> {
    @Mixin RegistryOptions registry;
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
      RegistryClient client = registry.client();
      String path = "/api/runs/" + segment(run) + "/aliases";
      switch (action) {
        case "list" -> {
          requireArgs(0, "list RUN");
          return registry.print(client.get(path), a -> CheckpointPrinter.printAliases(run, a));
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
                  String.format(
                      "run %s has no alias %s to move: use 'alias set' to create it", run, alias));
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
          return registry.print(
              c,
              moved ->
                  System.out.println(
                      run + " " + alias + " -> step " + moved.path("step").asText()));
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
          return registry.print(
              removed, r -> System.out.println("Removed alias " + rest.get(0) + " of " + run));
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
}
