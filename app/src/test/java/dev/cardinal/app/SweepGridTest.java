package dev.cardinal.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.trainer.Recipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Grid files and flags, their validation, and the points a grid names. */
class SweepGridTest {
  private static final SweepPlan.StreamFacts STREAM =
      new SweepPlan.StreamFacts("synthetic", 10, 2_000, 32);

  @TempDir Path dir;

  @Test
  void aYamlGridIsTheCartesianProductOfItsLists() throws Exception {
    Path file = dir.resolve("grid.yaml");
    Files.writeString(
        file,
        """
        presets: [resnet20, resnet32]
        widths: [0.25, 1]
        depths: [null, 56]
        resolutions: [24, 32]
        regularization: [1, 2]
        budget: 2 epochs
        recipe: baseline
        checkpointEvery: 20
        """);
    SweepGrid grid = SweepGrid.load(file, Map.of(), Map.of());
    List<SweepGrid.Knobs> points = grid.points(28);
    assertThat(points).hasSize(2 * 2 * 2 * 2 * 2);
    assertThat(points.stream().map(SweepGrid.Knobs::pointId).distinct()).hasSize(points.size());
    assertThat(points.get(0).pointId()).isEqualTo("resnet20-w0.25-r24");
    assertThat(points.get(points.size() - 1).pointId()).isEqualTo("resnet32-d56-r32-reg2");
    assertThat(grid.budget().samples(STREAM.epochSize())).isEqualTo(4_000);
    assertThat(grid.checkpointEvery()).isEqualTo(20);
  }

  @Test
  void flagsOverTheFileAndTheStreamResolutionWhenNoneIsListed() throws Exception {
    Path file = dir.resolve("grid.json");
    Files.writeString(file, "{\"presets\": [\"resnet20\"], \"budget\": 640}");
    SweepGrid grid = SweepGrid.load(file, Map.of("widths", List.of("0.5", "0.25")), Map.of());
    assertThat(grid.points(32))
        .extracting(SweepGrid.Knobs::pointId)
        .containsExactly("resnet20-w0.5-r32", "resnet20-w0.25-r32");
    assertThat(grid.budget().samples(1)).isEqualTo(640);
  }

  @Test
  void anUnknownKeyIsNamedWithTheKnownOnes() {
    assertThatThrownBy(() -> grid(Map.of("presets", "resnet20", "budget", 64, "widhts", 1)))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("unknown grid key 'widhts'")
        .hasMessageContaining("widths");
  }

  @Test
  void anEmptyListIsRefused() {
    assertThatThrownBy(() -> grid(Map.of("presets", List.of(), "budget", 64)))
        .hasMessageContaining("grid 'presets' is empty");
    assertThatThrownBy(
            () -> grid(Map.of("presets", "resnet20", "budget", 64, "resolutions", List.of())))
        .hasMessageContaining("grid 'resolutions' is empty");
  }

  @Test
  void badValuesNameTheKeyTheValueAndWhatIsAllowed() {
    assertThatThrownBy(() -> grid(Map.of("presets", "resnet20", "budget", 64, "widths", 3)))
        .hasMessageContaining("grid 'widths' value 3 is out of range")
        .hasMessageContaining("[0.25, 2]");
    assertThatThrownBy(() -> grid(Map.of("presets", "resnet21", "budget", 64)))
        .hasMessageContaining("unknown model 'resnet21'");
    assertThatThrownBy(() -> grid(Map.of("presets", "resnet20", "budget", "soon")))
        .hasMessageContaining("grid 'budget' is 'soon'");
    assertThatThrownBy(() -> grid(Map.of("presets", "resnet20")))
        .hasMessageContaining("the grid has no 'budget'");
    assertThatThrownBy(() -> grid(Map.of("presets", "resnet20", "budget", 64, "depths", 3)))
        .hasMessageContaining("grid 'depths' value 3 is not a network depth");
    assertThatThrownBy(() -> grid(Map.of("presets", "resnet20", "budget", 64, "recipe", "x")))
        .hasMessageContaining("unknown recipe 'x'");
    assertThatThrownBy(() -> SweepGrid.parse("presets: [resnet20", "g.yaml"))
        .hasMessageContaining("g.yaml is not valid YAML or JSON");
  }

  @Test
  void aDepthThePresetCannotTakeIsRefusedBeforeAnythingStarts() {
    SweepGrid grid = grid(Map.of("presets", "resnet20", "budget", 64, "depths", 21));
    assertThatThrownBy(() -> SweepPlan.of(grid, "s", STREAM))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("grid point resnet20-d21-r32")
        .hasMessageContaining("6n+2");
  }

  @Test
  void aRunIdOverSixtyFourCharactersIsRefusedNamingThePoint() {
    SweepGrid grid =
        grid(
            Map.of(
                "presets", "resnext50_32x4d", "budget", 64, "widths", 0.25, "regularization", 0.5));
    String longName = "a-rather-long-sweep-name-for-a-study-012345";
    assertThatThrownBy(() -> SweepPlan.of(grid, longName, STREAM))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("point resnext50_32x4d-w0.25-r32-reg0.5")
        .hasMessageContaining("at most 64")
        .hasMessageContaining("shorter --name");
    assertThatThrownBy(() -> SweepPlan.requireSweepId("bad id"))
        .hasMessageContaining("sweep id 'bad id'");
  }

  @Test
  void aPointDefinedAgainIsNotAddedTwice() {
    SweepPoint a = point("p1");
    SweepPoint b = point("p2");
    SweepFold fold = new SweepFold("s");
    assertThat(fold.apply(SweepEvent.defined("s", List.of(a), 64, "d"))).containsExactly(a);
    assertThat(fold.apply(SweepEvent.defined("s", List.of(a, b), 64, "d"))).containsExactly(b);
    assertThat(fold.points()).containsExactly(a, b);
    fold.apply(SweepEvent.progress("s", "p1", SweepEvent.DONE, 64, 100.0, null));
    assertThat(fold.unfinished()).containsExactly(b);
    assertThat(fold.state()).isEqualTo(SweepEvent.RUNNING);
  }

  private static SweepPoint point(String id) {
    return new SweepPoint(id, "s-" + id, "resnet20", "resnet", 1, null, 32, 1, 1, 1);
  }

  private static SweepGrid grid(Map<String, Object> values) {
    return SweepGrid.fromMap(values, "test grid");
  }

  @Test
  void howPointsTrainSurvivesTheTopicSoAResumeNeedsNoGridFile() {
    SweepGrid grid =
        grid(
            Map.of(
                "presets",
                "resnet20",
                "budget",
                "2 epochs",
                "schedule",
                "fashion-mnist",
                "recipe",
                "fashion-mnist"));
    SweepPlan plan = SweepPlan.of(grid, "s", STREAM);
    // The recipe's own length is stretched to the budget's 2 epochs, its warm-up with it.
    Recipe named = Recipe.named("fashion-mnist");
    assertThat(plan.training().recipe().epochs()).isEqualTo(2.0);
    assertThat(plan.training().recipe().warmupEpochs())
        .isCloseTo(named.warmupEpochs() * 2 / named.epochs(), within(1e-12));
    SweepEvent defined =
        SweepEvent.defined(
            "s", plan.points(), plan.budgetSamples(), plan.dataset(), plan.training().toJson());
    SweepEvent readBack = Json.fromBytes(Json.toBytes(defined), SweepEvent.class);
    SweepFold fold = new SweepFold("s");
    fold.apply(readBack);
    SweepTraining training = SweepTraining.fromJson(fold.training(), "s");
    assertThat(training.recipe()).isEqualTo(plan.training().recipe());
    assertThat(training.resolvedSchedule("s")).isEqualTo(grid.resolvedSchedule());
    assertThat(fold.points()).isEqualTo(plan.points());
    assertThat(fold.budgetSamples()).isEqualTo(4_000);
  }
}
