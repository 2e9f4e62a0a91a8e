package dev.cardinal.core.event;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cardinal.core.wire.WireFormatException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonEventsTest {

  private static JsonNode spec() {
    ObjectNode spec = Json.MAPPER.createObjectNode();
    spec.put("block", "bottleneck").put("cardinality", 32).put("widthPerGroup", 4);
    spec.putArray("depths").add(3).add(4).add(6).add(3);
    return spec;
  }

  @Test
  void checkpointEventRoundTrips() {
    CheckpointEvent event =
        new CheckpointEvent(
            CheckpointEvent.SCHEMA_VERSION,
            CheckpointEvent.CREATED,
            "run-1",
            1200,
            3,
            153_600,
            "cardinal",
            "runs/run-1/ckpt-1200/",
            "resnext50_32x4d",
            spec(),
            Json.MAPPER.createObjectNode().put("resolution", 160),
            Map.of("loss", 0.42, "top1", 0.871),
            1_700_000_000_000L);
    CheckpointEvent back = Json.fromBytes(Json.toBytes(event), CheckpointEvent.class);
    assertThat(back).isEqualTo(event);
    assertThat(back.checkpointId()).isEqualTo("run-1/1200");
  }

  @Test
  void evaluationEventRoundTripsIncludingNaNForAFailedScore() {
    EvaluationEvent ok =
        EvaluationEvent.of(
            "run-1",
            1200,
            EvaluationResult.builder(EvaluationPlan.of(224, "ema"))
                .scores(Scores.of(10_000, 0.91, 0.995, 0.31))
                .evaluatedAtMs(1_700_000_000_000L)
                .build());
    assertThat(Json.fromBytes(Json.toBytes(ok), EvaluationEvent.class)).isEqualTo(ok);
    assertThat(Json.toString(ok)).doesNotContain("\"error\"");

    EvaluationEvent failed =
        EvaluationEvent.of(
            "run-1",
            1300,
            EvaluationResult.failure(EvaluationPlan.of(224, "raw"), "params object missing")
                .evaluatedAtMs(1_700_000_000_000L)
                .build());
    EvaluationEvent back = Json.fromBytes(Json.toBytes(failed), EvaluationEvent.class);
    assertThat(back.result().scores().top1()).isNaN();
    assertThat(back.result().error()).isEqualTo("params object missing");
    assertThat(back.checkpointId()).isEqualTo("run-1/1300");
  }

  /**
   * Events already on {@code cardinal.evaluations} were written flat, every field at the top level:
   * they must read into the composed parts and write back with the same fields and values.
   */
  @Test
  void aFlatEvaluationEventAsWrittenBeforeReadsAndWritesBackTheSame() throws Exception {
    String written =
        "{\"schemaVersion\":1,\"evaluationId\":\"r/5/160/raw\",\"runId\":\"r\",\"step\":5,"
            + "\"resolution\":160,\"weights\":\"raw\",\"images\":100,\"top1\":0.8,"
            + "\"top5\":0.95,\"nll\":0.7,\"evaluatedAtMs\":9,\"ece\":0.03,"
            + "\"perClassAccuracy\":[0.9,null],\"trainResolution\":128,\"cropFraction\":0.875,"
            + "\"trainTop1\":0.9,\"trainEvalGap\":0.1,\"bestResolution\":192,"
            + "\"verdict\":\"balanced\",\"verdictReason\":\"why\","
            + "\"verdictEvidence\":{\"gap\":0.1}}";
    EvaluationEvent read = Json.fromBytes(written.getBytes(UTF_8), EvaluationEvent.class);

    EvaluationResult r = read.result();
    assertThat(r.plan()).isEqualTo(new EvaluationPlan(160, "raw", 128, 0.875, null));
    assertThat(r.scores())
        .isEqualTo(new Scores(100, 0.8, 0.95, 0.7, 0.03, java.util.Arrays.asList(0.9, null), null));
    assertThat(r.gap()).isEqualTo(new TrainEvalGap(0.9, 0.1));
    assertThat(r.bestResolution()).isEqualTo(192);
    assertThat(r.regularization()).isEqualTo(new Verdict("balanced", "why", Map.of("gap", 0.1)));
    assertThat(Json.MAPPER.readTree(Json.toBytes(read))).isEqualTo(Json.MAPPER.readTree(written));
  }

  /** The oldest events have none of the optional fields; a failed one has NaN scores as text. */
  @Test
  void anOldFailedEvaluationEventWithoutOptionalFieldsReads() {
    String written =
        "{\"schemaVersion\":1,\"evaluationId\":\"r/5/160/ema\",\"runId\":\"r\",\"step\":5,"
            + "\"resolution\":160,\"weights\":\"ema\",\"images\":0,\"top1\":\"NaN\","
            + "\"top5\":\"NaN\",\"nll\":\"NaN\",\"error\":\"no ema\",\"evaluatedAtMs\":9}";
    EvaluationEvent read = Json.fromBytes(written.getBytes(UTF_8), EvaluationEvent.class);

    assertThat(read.result().scores().top1()).isNaN();
    assertThat(read.result().scores().scored()).isFalse();
    assertThat(read.result().error()).isEqualTo("no ema");
    assertThat(read.result().gap()).isEqualTo(TrainEvalGap.NONE);
    assertThat(read.result().regularization()).isEqualTo(Verdict.NONE);
  }

  @Test
  void metricEventRoundTrips() {
    MetricEvent event = MetricEvent.now("trainer", "run-1", 7, Map.of("loss", 2.3, "lr", 0.1));
    assertThat(Json.fromBytes(Json.toBytes(event), MetricEvent.class)).isEqualTo(event);
    MetricEvent stageWide = MetricEvent.now("augment", null, 1, Map.of("images_per_s", 812.0));
    assertThat(Json.fromBytes(Json.toBytes(stageWide), MetricEvent.class)).isEqualTo(stageWide);
  }

  @Test
  void manifestRoundTripsAndIgnoresFieldsOfANewerWriter() {
    CheckpointManifest manifest =
        new CheckpointManifest(
            CheckpointManifest.SCHEMA_VERSION,
            "run-1",
            1200,
            3,
            153_600,
            "resnet50",
            spec(),
            Json.MAPPER.createObjectNode().put("weightDecay", 4e-5),
            Json.MAPPER.createObjectNode().put("resolution", 160),
            Json.MAPPER.createObjectNode().put("trainResolution", 160),
            Map.of("cardinal.images.augmented-0", 311L, "cardinal.images.augmented-1", 298L),
            Map.of("loss", 0.5),
            "fashion-mnist",
            "0.1.0-SNAPSHOT",
            null,
            List.of("params", "ema", "optimizer"),
            1_700_000_000_000L,
            null,
            null);
    byte[] bytes = Json.toBytes(manifest);
    assertThat(Json.fromBytes(bytes, CheckpointManifest.class)).isEqualTo(manifest);

    ObjectNode newer = (ObjectNode) Json.toTree(manifest);
    newer.put("someFieldFromTheFuture", true);
    assertThat(Json.fromTree(newer, CheckpointManifest.class)).isEqualTo(manifest);
  }

  @Test
  void garbageIsAWireFormatExceptionNamingTheType() {
    assertThatThrownBy(
            () -> Json.fromBytes("not json".getBytes(StandardCharsets.UTF_8), MetricEvent.class))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("MetricEvent");
    assertThatThrownBy(
            () -> Json.fromBytes("{\"step\":".getBytes(StandardCharsets.UTF_8), MetricEvent.class))
        .isInstanceOf(WireFormatException.class);
    assertThatThrownBy(
            () ->
                Json.fromBytes(
                    "{\"step\":\"many\"}".getBytes(StandardCharsets.UTF_8), CheckpointEvent.class))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("CheckpointEvent");
    assertThatThrownBy(() -> Json.fromBytes(null, EvaluationEvent.class))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("null");
    assertThatThrownBy(
            () -> Json.fromBytes(new byte[] {(byte) 0xFF, 0x00, 0x13}, MetricEvent.class))
        .isInstanceOf(WireFormatException.class);
  }
}
