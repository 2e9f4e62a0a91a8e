package dev.cardinal.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Resources;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.AnnotationEvent;
import dev.cardinal.core.event.AnnotationEvent.Action;
import dev.cardinal.core.event.AnnotationEvent.Kind;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.Scores;
import dev.cardinal.core.kafka.AnnotationLog;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention against the real broker and S3: what users keep through the registry (aliases and tags
 * on {@code cardinal.annotations}) and what was never scored survive any count policy, and the
 * annotations log's order settles a race with an alias. The registry's writes are made here with
 * the same {@link AnnotationLog} the registry uses.
 */
class RetentionAnnotationsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static KafkaSettings kafka;
  private static CheckpointStore store;
  private static KafkaSender sender;
  private static AnnotationLog registry;

  @BeforeAll
  static void start() {
    kafka = TestServices.kafkaWithTopics();
    store = TestServices.checkpointStore();
    sender = new KafkaSender(kafka);
    registry = new AnnotationLog(kafka, sender);
  }

  @AfterAll
  static void stop() {
    Resources.close(registry, sender);
  }

  /** The test's own run, and retention keeping its newest checkpoint (--keep-last 1). */
  private String run;

  @AutoClose private Retention retention;

  @BeforeEach
  void newRun() {
    run = TestServices.unique("retention");
    retention = new Retention(run, 1, 0, kafka, store, sender);
  }

  @Test
  void anAliasedOrTaggedCheckpointIsNeverDeleted() {
    checkpoint(run, 50);
    scored(run, 50, 0.5);
    // The reported case: aliased while live, then the run goes on under --keep-last 1.
    assertThat(registry.append(AnnotationEvent.alias(run, 50, "production", Action.SET))).isTrue();
    for (long step = 100; step <= 250; step += 50) {
      checkpoint(run, step);
      scored(run, step, 0.9);
      if (step == 100) {
        assertThat(registry.append(AnnotationEvent.tag(run, 100, "keep-me", Action.SET))).isTrue();
      }
      retention.apply();
    }
    assertThat(store.completeCheckpoints(run))
        .as("150 and 200 went, so retention ran; the aliased and the tagged stayed")
        .containsExactly(50L, 100L, 250L);

    registry.append(AnnotationEvent.alias(run, 50, "production", Action.REMOVE));
    registry.append(AnnotationEvent.tag(run, 100, "keep-me", Action.REMOVE));
    retention.apply();
    assertThat(store.completeCheckpoints(run)).containsExactly(250L);
  }

  @Test
  void anAliasMovedAwayNoLongerHoldsItsOldCheckpoint() {
    for (long step : List.of(10L, 20L, 30L)) {
      checkpoint(run, step);
      scored(run, step, 0.5);
    }
    registry.append(AnnotationEvent.alias(run, 10, "production", Action.SET));
    registry.append(AnnotationEvent.alias(run, 20, "production", Action.SET));
    // A stale REMOVE naming the old step must not drop the alias from its new one.
    registry.append(AnnotationEvent.alias(run, 10, "production", Action.REMOVE));
    retention.apply();
    assertThat(store.completeCheckpoints(run)).containsExactly(20L, 30L);
  }

  @Test
  void anUnscoredCheckpointIsNotDeletedAndAFailedEvaluationCountsAsScored() {
    checkpoint(run, 10);
    checkpoint(run, 20);
    checkpoint(run, 30);
    failed(run, 20);
    scored(run, 30, 0.7);
    retention.apply();
    assertThat(store.completeCheckpoints(run))
        .as("20 (failed evaluation) went; 10 waits for its evaluation")
        .containsExactly(10L, 30L);

    scored(run, 10, 0.4);
    retention.apply();
    assertThat(store.completeCheckpoints(run)).containsExactly(30L);
  }

  @Test
  void anAliasInTheLogBeforeTheIntentKeepsTheCheckpoint() {
    checkpoint(run, 10);
    checkpoint(run, 20);
    // Retention has chosen 10 (the pass began before the alias); the alias lands first.
    assertThat(registry.append(AnnotationEvent.alias(run, 10, "production", Action.SET))).isTrue();
    assertThat(retention.announceDeletion(10)).isFalse();

    assertThat(kinds(run, 10))
        .containsExactly(Kind.ALIAS, Kind.DELETE_INTENT, Kind.DELETE_CANCELLED);
    assertThat(store.completeCheckpoints(run)).containsExactly(10L, 20L);
    // The cancelled intent left no hold-up behind: the checkpoint accepts aliases again.
    assertThat(registry.append(AnnotationEvent.tag(run, 10, "kept", Action.SET))).isTrue();
  }

  @Test
  void theIntentInTheLogBeforeTheAliasWinsAndTheCheckpointIsDeleted() {
    checkpoint(run, 10);
    checkpoint(run, 20);
    assertThat(retention.announceDeletion(10)).isTrue();
    // The registry's alias lands after the intent: every reader of the log refuses it.
    assertThat(registry.append(AnnotationEvent.alias(run, 10, "production", Action.SET))).isFalse();
    assertThat(registry.held(run, 10)).isFalse();
    retention.delete(10);
    assertThat(store.completeCheckpoints(run)).containsExactly(20L);
    assertThat(store.list(CheckpointStore.checkpointPrefix(run, 10))).isEmpty();
  }

  @Test
  void anIntentLeftByAnInterruptedPassIsCancelledWhenTheCheckpointIsKept() {
    checkpoint(run, 10);
    // A pass announced 10 and stopped before deleting it; 10 is now the newest, kept.
    assertThat(retention.announceDeletion(10)).isTrue();
    retention.apply();
    assertThat(kinds(run, 10)).containsExactly(Kind.DELETE_INTENT, Kind.DELETE_CANCELLED);
    assertThat(registry.append(AnnotationEvent.alias(run, 10, "production", Action.SET))).isTrue();
  }

  private static List<Kind> kinds(String run, long step) {
    String key = run + "/" + step;
    return TestServices.consumeAll(kafka, Topics.ANNOTATIONS, WAIT).stream()
        .filter(r -> key.equals(new String(r.key(), StandardCharsets.UTF_8)))
        .map(RetentionAnnotationsTest::annotation)
        .map(AnnotationEvent::kind)
        .toList();
  }

  private static AnnotationEvent annotation(ConsumerRecord<byte[], byte[]> record) {
    return Json.fromBytes(record.value(), AnnotationEvent.class);
  }

  private static void checkpoint(String run, long step) {
    String prefix = CheckpointStore.checkpointPrefix(run, step);
    store.putBytes(prefix + "params", new byte[] {1, 2, 3});
    store.putBytes(prefix + CheckpointStore.MANIFEST, "{}".getBytes(StandardCharsets.UTF_8));
  }

  private static void scored(String run, long step, double top1) {
    publish(run, step, top1, null);
  }

  private static void failed(String run, long step) {
    publish(run, step, Double.NaN, "ema weights missing");
  }

  private static void publish(String run, long step, double top1, String error) {
    EvaluationEvent e =
        EvaluationEvent.of(
            run,
            step,
            EvaluationResult.builder(EvaluationPlan.of(32, "raw"))
                .scores(Scores.of(error == null ? 100 : 0, top1, top1, 1.0))
                .error(error)
                .evaluatedAtMs(System.currentTimeMillis())
                .build());
    sender.sendJson(Topics.EVALUATIONS, e.checkpointId(), e).block(WAIT);
  }
}
