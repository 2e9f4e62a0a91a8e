package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.await;
import static dev.cardinal.registry.Fixtures.checkpoint;
import static dev.cardinal.registry.Fixtures.get;
import static dev.cardinal.registry.Fixtures.json;
import static dev.cardinal.registry.Fixtures.registryConfig;
import static dev.cardinal.registry.Fixtures.started;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Topics;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 9: an event the database refuses every time goes to {@code cardinal.registry.dlq}
 * after {@value StoreIngest#MAX_TRIES} tries and ingest goes on with the next record. Before, the
 * refused batch was retried forever and nothing behind it was ever stored.
 */
class RegistryIngestDeadLetterTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @Test
  void anEventTheDatabaseRefusesIsDeadLetteredAndTheNextIsStored() throws Exception {
    RegistryConfig config = registryConfig("registry-refused");
    String refusedRun = TestServices.unique("refused");
    String nextRun = TestServices.unique("after-refused");
    try (KafkaSender sender = new KafkaSender(TestServices.kafka());
        RegistryServer server = started(config)) {
      // A real refusal by the database, for this run only: a trigger that aborts its insert.
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + config.database());
          Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 30000");
        s.execute(
            "CREATE TRIGGER refuse_run BEFORE INSERT ON checkpoints WHEN NEW.run_id = '"
                + refusedRun
                + "' BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END");
      }
      // Both under one key, so one partition holds them in this order: the next record waits
      // behind the refused one unless ingest gives the refused one up.
      byte[] key = refusedRun.getBytes(StandardCharsets.UTF_8);
      publish(sender, key, checkpoint(refusedRun, 1, System.currentTimeMillis()));
      publish(sender, key, checkpoint(nextRun, 1, System.currentTimeMillis()));

      int port = server.port();
      await(
          "the record behind the refused one in the API",
          WAIT,
          () -> json(get(port, "/api/checkpoints?run=" + nextRun)).size() == 1);
      await(
          "the refused event in the dead-letter topic",
          WAIT,
          () -> !deadLetters(refusedRun).isEmpty());
      List<ConsumerRecord<byte[], byte[]>> dead = deadLetters(refusedRun);
      assertThat(dead).hasSize(1);
      String reason =
          new String(
              dead.get(0).headers().lastHeader(DeadLetters.REASON_HEADER).value(),
              StandardCharsets.UTF_8);
      assertThat(reason)
          .contains("refused this event " + StoreIngest.MAX_TRIES + " times")
          .contains("refused by the test trigger");
      assertThat(json(get(port, "/api/checkpoints?run=" + refusedRun))).isEmpty();
      assertThat(get(port, "/metrics").body())
          .containsPattern(
              "cardinal_registry_events_consumed_total\\{outcome=\"dead_letter\","
                  + "topic=\"cardinal.checkpoints\"\\} [1-9]");
    }
  }

  private static void publish(KafkaSender sender, byte[] key, CheckpointEvent e) {
    sender.send(Topics.CHECKPOINTS, key, Json.toBytes(e)).block(WAIT);
  }

  private static List<ConsumerRecord<byte[], byte[]>> deadLetters(String marker) {
    return TestServices.consumeAll(TestServices.kafka(), Topics.deadLetters("registry"), WAIT)
        .stream()
        .filter(
            r ->
                r.value() != null && new String(r.value(), StandardCharsets.UTF_8).contains(marker))
        .toList();
  }
}
