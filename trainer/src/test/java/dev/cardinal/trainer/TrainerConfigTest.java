package dev.cardinal.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A sweep point's knobs on a run: regularization strength, train resolution, sample budget. */
class TrainerConfigTest {
  private static final TrainerConfig BASE =
      TrainerConfig.of("r", "resnet20", Recipe.named("resnet-rs"), 10);

  @Test
  void regularizationStrengthScalesTheRecipesWeightDecayAndLabelSmoothing() {
    TrainerConfig doubled = BASE.withRegularization(2);
    assertThat(doubled.recipe().weightDecay()).isEqualTo(8e-5);
    assertThat(doubled.recipe().labelSmoothing()).isEqualTo(0.2);
    assertThat(doubled.regularizationStrength()).isEqualTo(2);
    assertThat(BASE.regularizationStrength()).isEqualTo(1);
    // Smoothing stays a distribution's share below 1 however strong.
    assertThat(BASE.withRegularization(50).recipe().labelSmoothing()).isEqualTo(0.9);
    assertThat(BASE.withRegularization(0).recipe().weightDecay()).isZero();
  }

  @Test
  void badKnobsAreRefusedNamingThem() {
    assertThatThrownBy(() -> BASE.withTrainResolution(-1)).hasMessageContaining("train resolution");
    assertThatThrownBy(() -> BASE.withMaxSamples(-5)).hasMessageContaining("sample budget");
    assertThatThrownBy(() -> BASE.withRegularization(-1))
        .hasMessageContaining("regularization strength");
  }
}
