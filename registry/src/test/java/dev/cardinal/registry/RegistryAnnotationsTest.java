package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.await;
import static dev.cardinal.registry.Fixtures.checkpoint;
import static dev.cardinal.registry.Fixtures.checkpoints;
import static dev.cardinal.registry.Fixtures.get;
import static dev.cardinal.registry.Fixtures.json;
import static dev.cardinal.registry.Fixtures.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.Resources;
import dev.cardinal.core.Topics;
import dev.cardinal.core.event.AnnotationEvent;
import dev.cardinal.core.event.AnnotationEvent.Action;
import dev.cardinal.core.event.AnnotationEvent.Kind;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.AnnotationLog;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.testing.TestServices;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Aliases and tags through the real HTTP server, the real broker and {@code cardinal.annotations}:
 * refused on deleted checkpoints, refused when retention announced the deletion first, and restored
 * by a rebuild. Retention's writes are made with the {@link AnnotationLog} retention uses.
 */
class RegistryAnnotationsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String TOKEN = "test-admin-token-0123456789abcdef";
  private static KafkaSender sender;
  private static AnnotationLog retention;

  @RegisterExtension
  static final TestRegistry registry = new TestRegistry("registry-annotations", TOKEN);

  @BeforeAll
  static void start() {
    sender = new KafkaSender(TestServices.kafka());
    retention = new AnnotationLog(TestServices.kafka(), sender);
  }

  @AfterAll
  static void stop() {
    Resources.close(retention, sender);
  }

  @Test
  void aDeletedCheckpointCannotBeAliasedOrTagged() {
    String run = TestServices.unique("ann-deleted");
    publish(checkpoint(run, 10, System.currentTimeMillis()));
    publish(
        checkpoint(run, 10, System.currentTimeMillis(), "resnet20_cifar", CheckpointEvent.DELETED));
    awaitCheckpoint(run, 10, c -> c.get("deleted").asBoolean());

    assertAliasAndTagRefused(
        run,
        10,
        "checkpoint 10 of run "
            + run
            + " was deleted by retention; aliases and tags can only name a live checkpoint");
  }

  @Test
  void anAliasAfterRetentionsIntentIsRefusedAndTheCheckpointIsDeleted() {
    String run = TestServices.unique("ann-intent-first");
    publish(checkpoint(run, 50, System.currentTimeMillis()));
    awaitCheckpoint(run, 50, c -> true);
    // Retention announced the deletion of 50 and has not deleted it yet.
    assertThat(retention.append(AnnotationEvent.deleteIntent(run, 50))).isTrue();

    assertAliasAndTagRefused(
        run,
        50,
        "checkpoint 50 of run " + run + " is being deleted by retention; alias another checkpoint");
    assertThat(kinds(run, 50))
        .containsExactly(Kind.DELETE_INTENT, Kind.ALIAS, Kind.ALIAS, Kind.TAG, Kind.TAG);
    assertThat(actions(run, 50))
        .containsExactly(null, Action.SET, Action.REMOVE, Action.SET, Action.REMOVE);

    // Retention goes on: nothing holds 50, so it deletes it and says so.
    assertThat(retention.held(run, 50)).isFalse();
    publish(
        checkpoint(run, 50, System.currentTimeMillis(), "resnet20_cifar", CheckpointEvent.DELETED));
    awaitCheckpoint(run, 50, c -> c.get("deleted").asBoolean());
    assertThat(checkpointJson(run, 50).get("aliases")).isEmpty();
  }

  @Test
  void anAliasBeforeRetentionsIntentKeepsTheCheckpoint() {
    String run = TestServices.unique("ann-alias-first");
    publish(checkpoint(run, 60, System.currentTimeMillis()));
    awaitCheckpoint(run, 60, c -> true);
    assertThat(putAlias(run, "production", 60).statusCode()).isEqualTo(200);
    assertThat(retention.append(AnnotationEvent.deleteIntent(run, 60)))
        .as("retention's intent, after the alias, is refused")
        .isFalse();
  }

  @Test
  void rebuildRestoresAliasesAndTagsFromTheTopic() {
    String run = TestServices.unique("ann-rebuild");
    checkpoints(run, 1, 2).forEach(RegistryAnnotationsTest::publish);
    awaitCheckpoint(run, 2, c -> true);
    assertThat(putAlias(run, "production", 1).statusCode()).isEqualTo(200);
    assertThat(putAlias(run, "production", 2).statusCode()).isEqualTo(200);
    assertThat(putAlias(run, "canary", 1).statusCode()).isEqualTo(200);
    assertThat(putAlias(run, "old", 1).statusCode()).isEqualTo(200);
    assertThat(delete("/api/runs/" + run + "/aliases/old").statusCode()).isEqualTo(200);
    assertThat(putTag(run, 1, "keep").statusCode()).isEqualTo(200);
    assertThat(putTag(run, 2, "tmp").statusCode()).isEqualTo(200);
    assertThat(delete("/api/checkpoints/" + run + "/2/tags/tmp").statusCode()).isEqualTo(200);
    JsonNode aliasesBefore = json(get(registry.port(), "/api/runs/" + run + "/aliases"));
    assertThat(aliasesBefore.get("production").asLong()).isEqualTo(2);
    assertThat(aliasesBefore.get("canary").asLong()).isEqualTo(1);
    assertThat(aliasesBefore.has("old")).isFalse();

    registry.restartWithRebuild();
    await(
        "the aliases and tags replayed from " + Topics.ANNOTATIONS,
        WAIT,
        () ->
            json(get(registry.port(), "/api/runs/" + run + "/aliases")).equals(aliasesBefore)
                && checkpointJson(run, 1).get("tags").size() == 1);
    assertThat(checkpointJson(run, 1).get("tags").get(0).asText()).isEqualTo("keep");
    assertThat(checkpointJson(run, 2).get("tags")).isEmpty();
  }

  private static List<Kind> kinds(String run, long step) {
    return annotations(run, step).stream().map(AnnotationEvent::kind).toList();
  }

  private static List<Action> actions(String run, long step) {
    return annotations(run, step).stream().map(AnnotationEvent::action).toList();
  }

  private static List<AnnotationEvent> annotations(String run, long step) {
    String key = run + "/" + step;
    return TestServices.consumeAll(TestServices.kafka(), Topics.ANNOTATIONS, WAIT).stream()
        .filter(r -> key.equals(new String(r.key(), StandardCharsets.UTF_8)))
        .map(r -> Json.fromBytes(r.value(), AnnotationEvent.class))
        .toList();
  }

  private static void publish(CheckpointEvent e) {
    sender
        .send(
            Topics.CHECKPOINTS, e.checkpointId().getBytes(StandardCharsets.UTF_8), Json.toBytes(e))
        .block(WAIT);
  }

  private static JsonNode checkpointJson(String run, long step) {
    return json(get(registry.port(), "/api/checkpoints/" + run + "/" + step));
  }

  private static void awaitCheckpoint(
      String run, long step, java.util.function.Predicate<JsonNode> condition) {
    await(
        "checkpoint " + run + "/" + step,
        WAIT,
        () -> {
          HttpResponse<String> r = get(registry.port(), "/api/checkpoints/" + run + "/" + step);
          return r.statusCode() == 200 && condition.test(json(r));
        });
  }

  private static HttpResponse<String> putAlias(String run, String alias, long step) {
    return send(
        registry.port(),
        HttpRequest.newBuilder()
            .PUT(HttpRequest.BodyPublishers.ofString("{\"step\": " + step + "}"))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + TOKEN),
        "/api/runs/" + run + "/aliases/" + alias);
  }

  private static HttpResponse<String> putTag(String run, long step, String tag) {
    return send(
        registry.port(),
        HttpRequest.newBuilder()
            .PUT(HttpRequest.BodyPublishers.noBody())
            .header("Authorization", "Bearer " + TOKEN),
        "/api/checkpoints/" + run + "/" + step + "/tags/" + tag);
  }

  private static HttpResponse<String> delete(String path) {
    return send(
        registry.port(),
        HttpRequest.newBuilder().DELETE().header("Authorization", "Bearer " + TOKEN),
        path);
  }

  /**
   * Aliasing and tagging the checkpoint are both refused with a 409, the alias saying {@code why},
   * and no alias came of it.
   */
  private static void assertAliasAndTagRefused(String run, long step, String why) {
    HttpResponse<String> alias = putAlias(run, "production", step);
    assertThat(alias.statusCode()).isEqualTo(409);
    assertThat(json(alias).get("error").asText()).isEqualTo(why);
    assertThat(putTag(run, step, "keep").statusCode()).isEqualTo(409);
    assertThat(get(registry.port(), "/api/runs/" + run + "/aliases/production").statusCode())
        .isEqualTo(404);
  }
}
