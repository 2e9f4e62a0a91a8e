package dev.cardinal.core.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.cardinal.core.event.Json;
import dev.cardinal.core.wire.ScheduleStamp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ScheduleTest {

  private static final String RAMP =
      """
      name: ramp
      testResolution: 224
      defaults: {randAugmentOps: 2, dropoutRate: 0.1}
      segments:
        - from: 0
          to: 10
          trainResolution: 160
          randAugmentMagnitude: 5
        - from: 10
          to: 20
          trainResolution: {start: 160, end: 192, step: 16}
          randAugmentMagnitude: {start: 5, end: 10}
          dropoutRate: {steps: [0.1, 0.2]}
        - from: 25
          trainResolution: 224
          randAugmentMagnitude: 10
          dropoutRate: 0.3
      """;

  @ParameterizedTest(name = "at epoch {0}: {1} = {2}")
  @CsvSource(
      textBlock =
          """
          0,     trainResolution,      160
          9.99,  trainResolution,      160
          9.99,  randAugmentMagnitude, 5
          # At an edge the later segment starts.
          10,    trainResolution,      160
          10,    randAugmentMagnitude, 5
          10,    dropoutRate,          0.1
          # Linear ramp halfway: 176 px (on a 16 px step), magnitude 7.5, second dropout step.
          15,    trainResolution,      176
          15,    randAugmentMagnitude, 7.5
          15,    dropoutRate,          0.2
          14.99, dropoutRate,          0.1
          # 12.5 epochs: 164 px rounds to the 160 step, 168 would round up.
          12.4,  trainResolution,      160
          12.6,  trainResolution,      176
          # The gap holds the previous segment's end; the open segment holds forever.
          22,    trainResolution,      192
          22,    randAugmentMagnitude, 10
          25,    trainResolution,      224
          1000,  dropoutRate,          0.3
          # Defaults fill what a segment does not name.
          3,     dropoutRate,          0.1
          3,     randAugmentOps,       2
          3,     cropScaleMin,         0.08
          """)
  void valuesAtAndBetweenSegmentEdges(double epoch, String parameter, double expected) {
    Schedule s = Schedule.parse(RAMP, "ramp.yaml");
    assertThat(s.at(epoch).get(parameter)).isCloseTo(expected, within(1e-9));
  }

  @Test
  void resolutionsAndStamps() {
    Schedule s = Schedule.parse(RAMP, "ramp.yaml");
    assertThat(s.resolutions()).containsExactly(160, 176, 192, 224);
    assertThat(s.testResolution()).isEqualTo(224);
    // A stamp's epoch fraction counts: 12.5 epochs rounds up to the 176 px step.
    assertThat(s.at(new ScheduleStamp(15, 0, 100)).trainResolution()).isEqualTo(176);
    assertThat(s.at(new ScheduleStamp(12, 50, 100)).trainResolution()).isEqualTo(176);
  }

  @Test
  void whatAChartOfTheScheduleNeeds() {
    Schedule s = Schedule.parse(RAMP, "ramp.yaml");
    assertThat(s.scheduledParameters())
        .containsExactly("trainResolution", "randAugmentMagnitude", "dropoutRate");
    assertThat(s.lastEpoch()).as("the open last segment counts one epoch").isEqualTo(26);
    assertThat(Schedule.fixed(32).lastEpoch()).as("no segments").isZero();
  }

  @Test
  void presets() {
    Schedule fixed = Schedule.preset("fixed");
    assertThat(fixed.at(0)).isEqualTo(ScheduleStage.plain(224));
    assertThat(fixed.resolutions()).containsExactly(224);

    Schedule rs = Schedule.preset("resnet-rs");
    ScheduleStage stage = rs.at(100);
    assertThat(stage.trainResolution()).isEqualTo(160);
    assertThat(rs.testResolution()).isEqualTo(224);
    assertThat(stage.randAugmentMagnitude()).isEqualTo(10);
    assertThat(stage.dropoutRate()).isEqualTo(0.25);
    assertThat(stage.dropPathRate()).isZero();
    assertThat(rs.evaluationResolutions()).containsExactly(160, 224);

    Schedule p = Schedule.preset("progressive");
    assertThat(p.resolutions()).containsExactly(160, 176, 192);
    assertThat(p.at(0).trainResolution()).isEqualTo(160);
    assertThat(p.at(88).trainResolution()).isEqualTo(192);
    assertThat(p.at(88).randAugmentMagnitude()).isGreaterThan(p.at(0).randAugmentMagnitude());
    assertThat(p.at(88).dropoutRate()).isGreaterThan(p.at(0).dropoutRate());
    assertThat(p.at(88).mixupAlpha()).isGreaterThan(p.at(0).mixupAlpha());

    Schedule cifar = Schedule.fixed(32);
    assertThat(cifar.at(5).trainResolution()).isEqualTo(32);
    assertThat(cifar.at(5).cropPadding()).isEqualTo(4);
    assertThat(cifar.testResolution()).isEqualTo(32);
    assertThat(Schedule.preset("fixed-32")).isEqualTo(cifar);
    assertThat(Schedule.resolve("resnet-rs")).isEqualTo(rs);
    assertThatThrownBy(() -> Schedule.preset("fancy")).hasMessageContaining("progressive");
  }

  @Test
  void travelsAsJson() {
    for (Schedule s :
        List.of(
            Schedule.parse(RAMP, "ramp.yaml"),
            Schedule.preset("progressive"),
            Schedule.preset("resnet-rs"),
            Schedule.preset("fashion-mnist"),
            Schedule.fixed(32))) {
      String json = Json.toString(s);
      Schedule back =
          Json.fromBytes(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), Schedule.class);
      assertThat(back).isEqualTo(s);
      for (double e = 0; e < 100; e += 0.7) {
        assertThat(back.at(e)).isEqualTo(s.at(e));
      }
    }
  }

  @Test
  void testFlipIsOffUnlessTheScheduleAsksForItAndTravelsWithIt() {
    String body = "testResolution: 28\ndefaults: {trainResolution: 28}\n";
    Schedule single = Schedule.parse(body, "single.yaml");
    Schedule flipped = Schedule.parse("testFlip: true\n" + body, "flip.yaml");
    assertThat(single.testFlip()).isFalse();
    assertThat(flipped.testFlip()).isTrue();
    assertThat(flipped).isNotEqualTo(single);
    assertThat(Json.toTree(flipped).get("testFlip").asBoolean()).isTrue();
    // Documents from before the field have none, and read as one view.
    assertThat(Json.toTree(single).has("testFlip")).isFalse();
    assertThat(Schedule.preset("fashion-mnist").testFlip()).isTrue();
  }

  @Test
  void jsonFilesLoad(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("s.json");
    Files.writeString(
        file,
        "{\"name\": \"j\", \"segments\": [{\"from\": 0, \"to\": 4, \"trainResolution\":"
            + " {\"start\": 128, \"end\": 160, \"step\": 32}}]}");
    Schedule s = Schedule.load(file);
    assertThat(s.resolutions()).containsExactly(128, 160);
    assertThat(s.testResolution()).isEqualTo(160);
    assertThat(Schedule.resolve(file.toString())).isEqualTo(s);
  }

  static Stream<Arguments> badSchedules() {
    return Stream.of(
        arguments(
            """
            segments:
              - from: 0
                to: 10
                trainResolution: 160
              - from: 5
                trainResolution: 192
            """,
            "o.yaml",
            List.of("o.yaml line 5", "overlaps the segment on line 2")),
        arguments(
            """
            defaults:
              trainResolution: 32
              mixup: 0.2
            """,
            "t.yaml",
            List.of("t.yaml line 3", "unknown schedule parameter 'mixup'")),
        arguments("segments: [from: 0", "bad.yaml", List.of("bad.yaml line 1")),
        arguments(
            """
            segments:
              - from: 0
                to: 3
                trainResolution: 32
              - from: 3
                trainResolution: 32
                dropoutRate: -0.5
            """,
            "n.yaml",
            List.of("n.yaml line 5", "dropoutRate")),
        arguments(
            "segments:\n  - from: 0\n    trainResolution: {start: 1, end: 2}\n",
            "r",
            List.of("r line 3", "without 'to'")),
        arguments("name: x\n", "empty.yaml", List.of("trainResolution")),
        arguments(
            "testFlip: yes please\ndefaults: {trainResolution: 28}\n",
            "f.yaml",
            List.of("f.yaml line 1", "testFlip must be true or false, got 'yes please'")));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badSchedules")
  void errorsNameTheLine(String yaml, String file, List<String> messageParts) {
    assertThatThrownBy(() -> Schedule.parse(yaml, file))
        .isInstanceOf(ScheduleException.class)
        .message()
        .contains(messageParts);
  }

  @Test
  void aMissingFileIsNamed() {
    assertThatThrownBy(() -> Schedule.load(Path.of("/nonexistent/s.yaml")))
        .hasMessageContaining("does not exist");
  }
}
