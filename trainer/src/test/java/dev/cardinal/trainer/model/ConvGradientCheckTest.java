package dev.cardinal.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The engine's convolution input gradient, with stale heap memory made NaN first, matches float64.
 * Fails on AVX-512 machines unless oneDNN is capped at AVX2 (this module's surefire sets it): the
 * minimal reproduction of what made GradientFlowTest and DropPathTest fail at random.
 */
class ConvGradientCheckTest {

  @Test
  void convolutionInputGradientIsRightOnThisCpu() {
    assertThat(ConvGradientCheck.problem()).isNull();
  }
}
