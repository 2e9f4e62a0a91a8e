package dev.cardinal.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.Resources;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.Scores;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.registry.RegistryConfig;
import dev.cardinal.registry.RegistryServer;
import dev.cardinal.trainer.Retention;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fault test "retention racing an alias": the trainer's real {@link Retention} and the real
 * registry over HTTP, on one broker and one S3 server. The race is made deterministic by calling
 * retention's two steps (announce, delete) around the user's request; the annotations log's order
 * decides.
 */
class RetentionRaceTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String TOKEN = "test-admin-token-0123456789abcdef";
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static KafkaSettings kafka;
  private static CheckpointStore store;
  private static KafkaSender sender;
  private static RegistryServer registry;
  private String run;
  @AutoClose private Retention retention;

  @BeforeAll
  static void start() {
    kafka = TestServices.kafka();
    store = TestServices.checkpointStore();
    sender = new KafkaSender(kafka);
    registry =
        new RegistryServer(
            RegistryConfig.of(
                    kafka, TestServices.tempDir("race-registry").resolve("registry.db").toString())
                .withAddress("127.0.0.1", 0)
                .withGroupId(TestServices.unique("race-registry"))
                .withAdminToken(TOKEN));
    registry.start();
  }

  @AfterAll
  static void stop() {
    Resources.close(registry, sender);
  }

  /** Each test's own run with checkpoints 10 and 20, and retention keeping the newest. */
  @BeforeEach
  void runWithTwoCheckpoints() throws Exception {
    run = TestServices.unique("race");
    checkpoint(run, 10);
    checkpoint(run, 20);
    retention = new Retention(run, 1, 0, kafka, store, sender);
  }

  @Test
  void retentionAnnouncedFirstTheAliasIsRefusedAndTheCheckpointDeleted() throws Exception {
    assertThat(retention.announceDeletion(10)).isTrue();

    HttpResponse<String> alias = putAlias(run, "production", 10);
    assertThat(alias.statusCode()).isEqualTo(409);
    assertThat(alias.body()).contains("is being deleted by retention");

    retention.delete(10);
    assertThat(store.completeCheckpoints(run)).containsExactly(20L);
    awaitDeleted(run, 10);
    assertThat(get("/api/runs/" + run + "/aliases/production").statusCode()).isEqualTo(404);
  }

  @Test
  void theAliasFirstKeepsTheCheckpoint() throws Exception {
    assertThat(putAlias(run, "production", 10).statusCode()).isEqualTo(200);
    assertThat(retention.announceDeletion(10)).isFalse();
    // A whole pass agrees once both are scored: the alias holds 10, and 20 is the newest.
    scored(run, 10);
    scored(run, 20);
    retention.apply();
    assertThat(store.completeCheckpoints(run)).containsExactly(10L, 20L);
    JsonNode c = Json.MAPPER.readTree(get("/api/checkpoints/" + run + "/10").body());
    assertThat(c.get("deleted").asBoolean()).isFalse();
    assertThat(c.get("aliases").get(0).asText()).isEqualTo("production");
  }

  /** A complete checkpoint in S3, announced on the checkpoint topic as the trainer does. */
  private static void checkpoint(String run, long step) throws Exception {
    String prefix = CheckpointStore.checkpointPrefix(run, step);
    store.putBytes(prefix + "params", new byte[] {1, 2, 3});
    store.putBytes(prefix + CheckpointStore.MANIFEST, "{}".getBytes(StandardCharsets.UTF_8));
    CheckpointEvent created =
        new CheckpointEvent(
            CheckpointEvent.SCHEMA_VERSION,
            CheckpointEvent.CREATED,
            run,
            step,
            0,
            step * 32,
            store.settings().bucket(),
            prefix,
            "resnet20_cifar",
            null,
            null,
            Map.of(),
            System.currentTimeMillis());
    sender.sendJson(Topics.CHECKPOINTS, created.checkpointId(), created).block(WAIT);
    Await.until(
        WAIT,
        "checkpoint " + run + "/" + step + " in the registry",
        () -> get("/api/checkpoints/" + run + "/" + step).statusCode() == 200);
  }

  private static void scored(String run, long step) {
    EvaluationEvent e =
        EvaluationEvent.of(
            run,
            step,
            EvaluationResult.builder(EvaluationPlan.of(32, "raw"))
                .scores(Scores.of(100, 0.5, 0.9, 1.0))
                .evaluatedAtMs(System.currentTimeMillis())
                .build());
    sender.sendJson(Topics.EVALUATIONS, e.checkpointId(), e).block(WAIT);
  }

  private static void awaitDeleted(String run, long step) throws Exception {
    Await.until(
        WAIT,
        "checkpoint " + run + "/" + step + " marked deleted",
        () ->
            Json.MAPPER
                .readTree(get("/api/checkpoints/" + run + "/" + step).body())
                .get("deleted")
                .asBoolean());
  }

  private static HttpResponse<String> putAlias(String run, String alias, long step)
      throws Exception {
    return HTTP.send(
        request("/api/runs/" + run + "/aliases/" + alias)
            .PUT(HttpRequest.BodyPublishers.ofString("{\"step\": " + step + "}"))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + TOKEN)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + registry.port() + path))
        .timeout(Duration.ofSeconds(30));
  }
}
