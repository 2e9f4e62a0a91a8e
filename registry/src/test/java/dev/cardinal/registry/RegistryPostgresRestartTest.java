package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.await;
import static dev.cardinal.registry.Fixtures.checkpoint;
import static dev.cardinal.registry.Fixtures.get;
import static dev.cardinal.registry.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.Topics;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.testing.TestServices;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 9: the registry's PostgreSQL restarts under a running registry. Calls fail while it
 * is down (503, not a hang) and work again once it is back, and an event published while it was
 * down is stored after, all without restarting the registry. Before the pool, the one JDBC
 * connection stayed broken until the process restarted.
 */
class RegistryPostgresRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @Test
  void theApiAndIngestComeBackAfterTheDatabaseRestarts() throws Exception {
    try (TestPostgres pg = TestPostgres.startOrSkip();
        KafkaSender sender = new KafkaSender(TestServices.kafka());
        RegistryServer server =
            new RegistryServer(
                RegistryConfig.of(TestServices.kafka(), pg.url())
                    .withAddress("127.0.0.1", 0)
                    .withGroupId(TestServices.unique("registry-pg-restart")))) {
      Assumptions.assumeTrue(
          pg.restartable(),
          "PostgreSQL restart test skipped: CARDINAL_TEST_POSTGRES_URL names a server this test"
              + " must not stop");
      server.start();
      int port = server.port();
      String run = TestServices.unique("pg-restart");
      String listing = "/api/checkpoints?run=" + run;
      publish(sender, checkpoint(run, 100, System.currentTimeMillis()));
      await("the first checkpoint in the API", WAIT, () -> steps(port, listing).size() == 1);

      pg.stop();
      HttpResponse<String> down = get(port, listing);
      assertThat(down.statusCode())
          .as("while the database is down: %s", down.body())
          .isEqualTo(503);
      assertThat(json(down).get("error").asText()).contains("database is unavailable");
      // Published while the database is down: ingest must wait for it, not give the event up.
      publish(sender, checkpoint(run, 200, System.currentTimeMillis()));

      pg.start();
      await(
          "the API to answer again with the checkpoint published while the database was down",
          WAIT,
          () -> {
            HttpResponse<String> r = get(port, listing);
            return r.statusCode() == 200 && json(r).size() == 2;
          });
      publish(sender, checkpoint(run, 300, System.currentTimeMillis()));
      await(
          "a checkpoint published after the restart", WAIT, () -> steps(port, listing).size() == 3);
      assertThat(json(get(port, listing)).findValuesAsText("step"))
          .containsExactly("300", "200", "100");
    }
  }

  private static JsonNode steps(int port, String listing) {
    HttpResponse<String> r = get(port, listing);
    return r.statusCode() == 200 ? json(r) : Json.MAPPER.createArrayNode();
  }

  private static void publish(KafkaSender sender, CheckpointEvent e) {
    sender
        .send(
            Topics.CHECKPOINTS, e.checkpointId().getBytes(StandardCharsets.UTF_8), Json.toBytes(e))
        .block(WAIT);
  }
}
