package dev.cardinal.core.event;

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
        EvaluationEvent.builder("run-1", 1200, 224, "ema")
            .images(10_000)
            .top1(0.91)
            .top5(0.995)
            .nll(0.31)
            .evaluatedAtMs(1_700_000_000_000L)
            .build();
    assertThat(Json.fromBytes(Json.toBytes(ok), EvaluationEvent.class)).isEqualTo(ok);
    assertThat(Json.toString(ok)).doesNotContain("\"error\"");

    EvaluationEvent failed =
        EvaluationEvent.failure("run-1", 1300, 224, "raw", "params object missing")
            .evaluatedAtMs(1_700_000_000_000L)
            .build();
    EvaluationEvent back = Json.fromBytes(Json.toBytes(failed), EvaluationEvent.class);
    assertThat(back.top1()).isNaN();
    assertThat(back.error()).isEqualTo("params object missing");
    assertThat(back.checkpointId()).isEqualTo("run-1/1300");
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
