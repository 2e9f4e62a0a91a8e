package dev.cardinal.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Trainable parameter counts against torchvision (exact) and timm (within 0.5%), and MACs at 224 px
 * against the published numbers (within 2%). Parameter counts do not depend on the resolution, so
 * the networks are initialized at 32 px (initialization only infers shapes; nothing runs).
 */
class ParameterCountTest {

  @ParameterizedTest(name = "{0} has {1} trainable parameters (torchvision)")
  @CsvSource({
    "resnet18, 11689512",
    "resnet34, 21797672",
    "resnet50, 25557032",
    "resnet101, 44549160",
    "resnet152, 60192808",
    "resnext50_32x4d, 25028904",
    "resnext101_32x8d, 88791336",
    "wide_resnet50_2, 68883240",
  })
  void matchesTorchvisionExactly(String name, long expected) {
    assertThat(ModelStats.of(ModelPresets.get(name), 32).trainableParameters()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} has about {1} trainable parameters (timm)")
  @CsvSource({
    "resnest50d, 27480000",
    "resnetrs50, 35690000",
    "resnetrs101, 63600000",
    "resnet50d, 25580000",
    "resnest101e, 48280000",
    "resnest50d_4s2x40d, 30420000",
    "resnest50d_1s4x24d, 25680000",
  })
  void matchesTimmWithinHalfAPercent(String name, long expected) {
    long actual = ModelStats.of(ModelPresets.get(name), 32).trainableParameters();
    assertThat((double) actual).isCloseTo(expected, within(expected * 0.005));
  }

  /**
   * He et al. report 0.27M parameters for ResNet-20 (option-A zero-padding shortcuts: 269,722). The
   * preset uses 1x1 conv + BN projection shortcuts (option B), which add 2,752: 272,474 exactly.
   */
  @org.junit.jupiter.api.Test
  void resnet20HasConvShortcutsOnTopOfThePaperCount() {
    assertThat(ModelStats.of(ModelPresets.get("resnet20"), 32).trainableParameters())
        .isEqualTo(269_722L + (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64));
  }

  @ParameterizedTest(name = "{0} has about {1} trainable parameters (He et al. CIFAR)")
  @CsvSource({"resnet20, 270000", "resnet56, 850000", "resnet110, 1700000"})
  void cifarResNetsMatchThePaper(String name, long expected) {
    long actual = ModelStats.of(ModelPresets.get(name), 32).trainableParameters();
    assertThat((double) actual).isCloseTo(expected, within(expected * 0.05));
  }

  @ParameterizedTest(name = "{0} costs about {1} GMACs at 224 px")
  @CsvSource({"resnet50, 4.11", "resnext50_32x4d, 4.26", "resnest50d, 5.40", "resnet18, 1.82"})
  void macsAt224MatchPublishedNumbers(String name, double expectedGmacs) {
    double gmacs = ModelStats.of(ModelPresets.get(name), 224).gmacs();
    assertThat(gmacs).isCloseTo(expectedGmacs, within(expectedGmacs * 0.02));
  }
}
