package dev.cardinal.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.app.Cli.Result;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.Scores;
import dev.cardinal.core.testing.TestCheckpoints;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.registry.RegistryConfig;
import dev.cardinal.registry.RegistryServer;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code cardinal checkpoints} against a real registry server on a free port. */
class CheckpointsCommandTest {
  private static final String TOKEN = "cli-test-token-0123456789abcdef-xyz";
  private static RegistryServer server;
  private static String url;
  private static String run;

  @BeforeAll
  static void start() {
    server =
        new RegistryServer(
            RegistryConfig.of(
                    TestServices.kafka(),
                    TestServices.tempDir("cli-registry").resolve("registry.db").toString())
                .withAddress("127.0.0.1", 0)
                .withGroupId(TestServices.unique("cli-registry"))
                .withAdminToken(TOKEN));
    server.start();
    url = "http://127.0.0.1:" + server.port();
    run = TestServices.unique("cli-run");
    List<Object> events = new ArrayList<>();
    for (long step = 100; step <= 400; step += 100) {
      events.add(
          TestCheckpoints.event(
              run,
              step,
              4_000_000_000_000L + step,
              "resnet20_cifar",
              CheckpointEvent.CREATED,
              null));
      events.add(evaluation(run, step, 224, "ema", 0.5 + step / 1000.0));
      events.add(evaluation(run, step, 160, "raw", 0.4 + step / 2000.0));
    }
    server.store().applyAll(events);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** Runs {@code cardinal checkpoints <args>} as a user does. */
  private static Result run(String... args) {
    String[] line = new String[args.length + 1];
    line[0] = "checkpoints";
    System.arraycopy(args, 0, line, 1, args.length);
    return Cli.run(line);
  }

  @Test
  void listPrintsATableFilteredAndSortedByAScore() {
    Result r =
        run(
            "list",
            "--registry",
            url,
            "--run",
            run,
            "--resolution",
            "224",
            "--min-top1",
            "0.65",
            "--sort",
            "top1",
            "--order",
            "asc");
    assertThat(r.exitCode()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).contains("RUN").contains("STEP").contains("BEST TOP-1");
    assertThat(lines).hasSize(4);
    assertThat(lines.get(1)).contains(run).contains("200").contains("70.00%").contains("224/ema");
    assertThat(lines.get(2)).contains("300").contains("80.00%");
    assertThat(lines.get(3)).contains("400").contains("90.00%");
  }

  @Test
  void listAsJsonFollowsEveryPage() throws Exception {
    Result r = run("list", "--registry", url, "--run", run, "--limit", "1", "--all", "--json");
    assertThat(r.exitCode()).as(r.err()).isZero();
    JsonNode rows = Json.MAPPER.readTree(r.out());
    assertThat(rows).hasSize(4);
    assertThat(rows.get(0).get("step").asLong()).isEqualTo(400);
  }

  @Test
  void showAndBest() {
    Result show = run("show", "--registry", url, run, "200");
    assertThat(show.exitCode()).as(show.err()).isZero();
    assertThat(show.out())
        .contains("Checkpoint " + run + "/200")
        .contains("70.00%")
        .contains("160");
    Result best = run("best", "--registry", url, run, "--resolution", "160");
    assertThat(best.exitCode()).as(best.err()).isZero();
    assertThat(best.out()).contains("Best top1").contains("60.00%").contains("step 400");
    Result runs = run("runs", "--registry", url);
    assertThat(runs.out()).contains(run).contains("90.00%");
  }

  @Test
  void aliasSetMoveAndShowByAlias() {
    Result noToken = run("alias", "--registry", url, "--token", "", "set", run, "champion", "200");
    assertThat(noToken.exitCode()).isEqualTo(1);
    assertThat(noToken.err()).contains("--token").contains("CARDINAL_REGISTRY_TOKEN");
    Result wrong =
        run("alias", "--registry", url, "--token", "nope", "set", run, "champion", "200");
    assertThat(wrong.exitCode()).isEqualTo(1);
    assertThat(wrong.err().strip().lines()).hasSize(1);
    assertThat(wrong.err()).contains("401");
    Result moveMissing =
        run("alias", "--registry", url, "--token", TOKEN, "move", run, "champion", "300");
    assertThat(moveMissing.exitCode()).isEqualTo(1);
    assertThat(moveMissing.err()).contains("alias set");

    assertThat(
            run("alias", "--registry", url, "--token", TOKEN, "set", run, "champion", "200")
                .exitCode())
        .isZero();
    Result moved =
        run("alias", "--registry", url, "--token", TOKEN, "move", run, "champion", "300");
    assertThat(moved.out()).contains("champion -> step 300");
    assertThat(run("show", "--registry", url, run, "champion").out())
        .contains("Checkpoint " + run + "/300");
    assertThat(run("alias", "--registry", url, "list", run).out())
        .contains("champion")
        .contains("300");
    Result missingStep =
        run("alias", "--registry", url, "--token", TOKEN, "set", run, "champion", "999");
    assertThat(missingStep.exitCode()).isEqualTo(1);
    assertThat(missingStep.err()).contains("404").contains("999");
  }

  @Test
  void userErrorsAreOneLine() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    Result down = run("list", "--registry", "http://127.0.0.1:" + closed);
    assertThat(down.exitCode()).isEqualTo(1);
    assertThat(down.err().strip().lines()).hasSize(1);
    assertThat(down.err()).contains("no registry answers").contains("CARDINAL_REGISTRY");
    Result bad = run("list", "--registry", url, "--sort", "speed");
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.err()).contains("speed").contains("top1");
    Result unknown = run("show", "--registry", url, run, "12345");
    assertThat(unknown.err()).contains("404").contains("12345");
    Result notUrl = run("list", "--registry", "localhost:8080");
    assertThat(notUrl.err()).contains("--registry");
    Result badTime = run("list", "--registry", url, "--since", "yesterday");
    assertThat(badTime.err()).contains("--since").contains("yesterday");
  }

  @Test
  void helpListsEveryFlagWithItsDefault() {
    for (String sub : new String[] {"list", "show", "best", "runs", "alias"}) {
      Result r = run(sub, "--help");
      assertThat(r.exitCode()).as(sub).isZero();
      assertThat(r.out())
          .as(sub)
          .contains("--registry")
          .contains("Default:")
          .contains("localhost:8080");
    }
  }

  private static EvaluationEvent evaluation(
      String run, long step, int resolution, String weights, double top1) {
    return EvaluationEvent.of(
        run,
        step,
        EvaluationResult.builder(EvaluationPlan.of(resolution, weights))
            .scores(Scores.of(1000, top1, Math.min(1, top1 + 0.1), 1.5 - top1))
            .evaluatedAtMs(1_000 + step)
            .build());
  }
}
