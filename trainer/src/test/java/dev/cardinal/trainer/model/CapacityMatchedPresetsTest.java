package dev.cardinal.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The capacity-matched presets (ResNeXt-50 cardinality family, CIFAR ResNeXt-29, the small family)
 * and the sweep knobs of {@link ModelPresets#scaled}: parameters and MACs against hand counts, the
 * equal-cost claims, and what width and depth do to the count.
 */
class CapacityMatchedPresetsTest {

  private static final List<String> RESNEXT50_FAMILY =
      List.of(
          "resnext50_1x64d",
          "resnext50_2x40d",
          "resnext50_4x24d",
          "resnext50_8x14d",
          "resnext50_32x4d");

  private static final List<String> SMALL_FAMILY =
      List.of("resnext_s_1x24d", "resnext_s_2x15d", "resnext_s_4x9d", "resnext_s_8x5d");

  /**
   * Adds up parameters and MACs layer by layer, the way a person counts on paper: a k x k conv from
   * {@code in} to {@code out} channels in {@code groups} groups has k*k*in/groups*out weights and
   * as many MACs per output pixel; BN has 2 trainable scalars per channel; the classifier has
   * in*out weights, out biases and in*out MACs.
   */
  private static final class HandCount {
    long params;
    long macs;
    int side;

    HandCount(int inputSide) {
      side = inputSide;
    }

    void conv(int in, int out, int kernel, int groups, int stride) {
      side = (side + stride - 1) / stride; // "same" padding: ceil(side / stride)
      long weights = (long) kernel * kernel * in / groups * out;
      params += weights;
      macs += weights * side * side;
    }

    void bn(int channels) {
      params += 2L * channels;
    }

    /** torchvision's bottleneck: 1x1, grouped 3x3 with the stride, 1x1; projection if needed. */
    void bottleneck(int in, int width, int out, int groups, int stride) {
      int inSide = side;
      conv(in, width, 1, 1, 1);
      bn(width);
      conv(width, width, 3, groups, stride);
      bn(width);
      conv(width, out, 1, 1, 1);
      bn(out);
      if (stride != 1 || in != out) {
        int outSide = side;
        side = inSide;
        conv(in, out, 1, 1, stride);
        bn(out);
        assertThat(side).isEqualTo(outSide);
      }
    }

    /** {@code blocks} bottlenecks, the first one with the stage's stride; returns the output. */
    int stage(int in, int width, int out, int groups, int stride, int blocks) {
      bottleneck(in, width, out, groups, stride);
      for (int b = 1; b < blocks; b++) {
        bottleneck(out, width, out, groups, 1);
      }
      return out;
    }

    void classifier(int in, int classes) {
      params += (long) in * classes + classes;
      macs += (long) in * classes;
    }
  }

  @Test
  void resnet50MatchesTheHandCountAndTorchvision() {
    HandCount hand = new HandCount(224);
    hand.conv(3, 64, 7, 1, 2); // 7x7/2 stem: 112 px
    hand.bn(64);
    hand.side = 56; // 3x3/2 max-pool: no parameters, no MACs
    int c = hand.stage(64, 64, 256, 1, 1, 3); // 56 px
    c = hand.stage(c, 128, 512, 1, 2, 4); // 28 px
    c = hand.stage(c, 256, 1024, 1, 2, 6); // 14 px
    c = hand.stage(c, 512, 2048, 1, 2, 3); // 7 px
    hand.classifier(c, 1000);

    ModelStats measured = ModelStats.count(ModelPresets.get("resnet50"), 224, 1000);
    assertThat(measured.trainableParameters()).isEqualTo(hand.params).isEqualTo(25_557_032L);
    assertThat(measured.macs()).isEqualTo(hand.macs);
    assertThat(measured.gmacs()).isCloseTo(4.09, within(0.01)); // torchvision: 4.09 GFLOPS
  }

  /** resnext_s_8x5d at 28 px, 10 classes, every layer written out. */
  @Test
  void smallResNeXtMatchesTheHandCount() {
    long px28 = 28 * 28;
    long px14 = 14 * 14;
    long px7 = 7 * 7;
    // Stem: 3x3 conv 3 -> 24, BN.
    long stemParams = 3 * 9 * 24 + 2 * 24;
    long stemMacs = 3 * 9 * 24 * px28;
    // Stage 1 at 28 px: 1x1 24 -> 40, 3x3 in 8 groups of 5 (40 -> 40), 1x1 40 -> 96, projection
    // 1x1 24 -> 96; BN after each.
    long stage1Params = 24 * 40 + 9 * 5 * 40 + 40 * 96 + 24 * 96 + 2 * (40 + 40 + 96 + 96);
    long stage1Macs = (24 * 40 + 9 * 5 * 40 + 40 * 96 + 24 * 96) * px28;
    // Stage 2, planes 48: group width floor(48 * 14 / 64) = 10, width 80; 1x1 96 -> 80 at 28 px,
    // 3x3/2 in 8 groups of 10 and the rest at 14 px; projection 96 -> 192 with stride 2.
    long stage2Params = 96 * 80 + 9 * 10 * 80 + 80 * 192 + 96 * 192 + 2 * (80 + 80 + 192 + 192);
    long stage2Macs = 96 * 80 * px28 + (9 * 10 * 80 + 80 * 192 + 96 * 192) * px14;
    // Stage 3, planes 96: group width floor(96 * 14 / 64) = 21, width 168; 28 -> 14 -> 7 px.
    long stage3Params =
        192 * 168 + 9 * 21 * 168 + 168 * 384 + 192 * 384 + 2 * (168 + 168 + 384 + 384);
    long stage3Macs = 192 * 168 * px14 + (9 * 21 * 168 + 168 * 384 + 192 * 384) * px7;
    // Global average pool, then 384 -> 10 with bias.
    long classifierParams = 384 * 10 + 10;
    long classifierMacs = 384 * 10;

    ModelStats measured = ModelStats.count(ModelPresets.get("resnext_s_8x5d"), 28, 10);
    assertThat(measured.trainableParameters())
        .isEqualTo(stemParams + stage1Params + stage2Params + stage3Params + classifierParams)
        .isEqualTo(268_210L);
    assertThat(measured.macs())
        .isEqualTo(stemMacs + stage1Macs + stage2Macs + stage3Macs + classifierMacs)
        .isEqualTo(36_199_944L);
  }

  /** Xie et al. report 34.4M parameters for ResNeXt-29 8x64d and 68.1M for 16x64d. */
  @ParameterizedTest(name = "resnext29_{0}x64d matches the hand count and the paper's {1}")
  @CsvSource({"8, 34400000", "16, 68100000"})
  void resnext29MatchesTheHandCountAndThePaper(int cardinality, long paperParams) {
    HandCount hand = new HandCount(32);
    hand.conv(3, 64, 3, 1, 1); // 3x3 stem, 64 channels, 32 px
    hand.bn(64);
    int width = cardinality * 64; // C x d in the first stage, doubled at each stage
    int c = hand.stage(64, width, 256, cardinality, 1, 3); // 32 px
    c = hand.stage(c, 2 * width, 512, cardinality, 2, 3); // 16 px
    c = hand.stage(c, 4 * width, 1024, cardinality, 2, 3); // 8 px
    hand.classifier(c, 10);

    ModelStats measured =
        ModelStats.count(ModelPresets.get("resnext29_" + cardinality + "x64d"), 32, 10);
    assertThat(measured.trainableParameters()).isEqualTo(hand.params);
    assertThat(measured.macs()).isEqualTo(hand.macs);
    assertThat((double) hand.params).isCloseTo(paperParams, within(paperParams * 0.005));
  }

  @Test
  void theResNeXt50FamilyCostsWithinFivePercentOfResNet50() {
    long resnet50 = ModelStats.count(ModelPresets.get("resnet50"), 224, 1000).macs();
    for (String name : RESNEXT50_FAMILY) {
      long macs = ModelStats.count(ModelPresets.get(name), 224, 1000).macs();
      assertThat((double) macs).as(name).isCloseTo(resnet50, within(resnet50 * 0.05));
      assertThat(ModelPresets.family(name)).isEqualTo(ModelPresets.RESNEXT);
    }
    assertThat(ModelPresets.get("resnext50_1x64d")).isEqualTo(ModelPresets.get("resnet50"));
  }

  @Test
  void theSmallFamilyCostsWithinFivePercentOfEachOther() {
    long[] macs =
        SMALL_FAMILY.stream()
            .mapToLong(name -> ModelStats.count(ModelPresets.get(name), 28, 10).macs())
            .toArray();
    long min = Arrays.stream(macs).min().orElseThrow();
    long max = Arrays.stream(macs).max().orElseThrow();
    assertThat((double) max / min).isLessThanOrEqualTo(1.05);
    assertThat(min).as("tens of millions of MACs").isBetween(20_000_000L, 60_000_000L);
    for (String name : SMALL_FAMILY) {
      assertThat(ModelPresets.get(name).cardinality())
          .as(name)
          .isEqualTo(
              Integer.parseInt(name.substring("resnext_s_".length(), name.lastIndexOf('x'))));
    }
  }

  @Test
  void everyPresetDeclaresOneOfTheFiveFamilies() {
    for (String name : ModelPresets.names()) {
      assertThat(ModelPresets.family(name))
          .as(name)
          .isIn(
              ModelPresets.RESNET,
              ModelPresets.RESNEXT,
              ModelPresets.RESNEST,
              ModelPresets.RESNET_RS,
              ModelPresets.WIDE_RESNET);
    }
    assertThat(ModelPresets.family("resnet20")).isEqualTo("resnet");
    assertThat(ModelPresets.family("resnext29_16x64d")).isEqualTo("resnext");
    assertThat(ModelPresets.family("resnest_s")).isEqualTo("resnest");
    assertThat(ModelPresets.family("resnetrs_s")).isEqualTo("resnet-rs");
    assertThat(ModelPresets.family("wide_resnet50_2")).isEqualTo("wide-resnet");
    assertThatThrownBy(() -> ModelPresets.family("resnext_s_3x7d"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resnext_s_3x7d")
        .hasMessageContaining("resnext_s_1x24d");
  }

  @Test
  void doublingTheWidthQuadruplesTheConvolutionsCost() {
    long px28 = 28 * 28;
    ModelStats base = ModelStats.count(ModelPresets.scaled("resnext_s_4x9d", 1.0, null), 28, 10);
    ModelStats wide = ModelStats.count(ModelPresets.scaled("resnext_s_4x9d", 2.0, null), 28, 10);
    // Every channel count doubles (group widths 9, 18, 36 -> 18, 36, 72 in the same 4 groups), so
    // every conv costs 4x, except the stem (3 input channels: 2x) and the classifier (10 outputs:
    // 2x).
    long stem = 3 * 9 * 24 * px28;
    long classifier = 384 * 10;
    long convs = base.macs() - stem - classifier;
    assertThat(wide.macs()).isEqualTo(4 * convs + 2 * stem + 2 * classifier);
    assertThat(ModelPresets.scaled("resnext_s_4x9d", 1.0, null))
        .isEqualTo(ModelPresets.get("resnext_s_4x9d"));
    assertThat(ModelPresets.scaled("resnext_s_4x9d", 2.0, null).cardinality()).isEqualTo(4);
  }

  @Test
  void depthSetsTheBlocksPerStageInThePresetsOwnDepthFamily() {
    // CIFAR bottleneck nets: 9n+2.
    assertThat(ModelPresets.scaled("resnext_s_1x24d", 1.0, 20).depths()).containsExactly(2, 2, 2);
    assertThat(ModelPresets.scaled("resnext29_8x64d", 1.0, 11).depths()).containsExactly(1, 1, 1);
    // CIFAR basic nets: 6n+2.
    assertThat(ModelPresets.scaled("resnet20", 1.0, 56).depths()).containsExactly(9, 9, 9);
    // ImageNet nets: the standard depths of their block kind.
    assertThat(ModelPresets.scaled("resnext50_4x24d", 1.0, 101).depths())
        .containsExactly(3, 4, 23, 3);
    assertThat(ModelPresets.scaled("resnet18", 1.0, 34).depths()).containsExactly(3, 4, 6, 3);
    assertThat(ModelPresets.scaled("resnetrs50", 1.0, 350).depths()).containsExactly(4, 36, 72, 4);

    // Going from depth 11 to 20 adds one identity block to each stage of resnext_s_1x24d; each
    // costs (in*d + 9*d*d + d*out) MACs per pixel: (96*24 + 9*24*24 + 24*96) at 28 px,
    // (192*48 + 9*48*48 + 48*192) at 14 px, (384*96 + 9*96*96 + 96*384) at 7 px.
    long added =
        (96 * 24 + 9 * 24 * 24 + 24 * 96) * 28 * 28
            + (192 * 48 + 9 * 48 * 48 + 48 * 192) * 14 * 14
            + (384 * 96 + 9 * 96 * 96 + 96 * 384) * 7 * 7;
    long depth11 = ModelStats.count(ModelPresets.get("resnext_s_1x24d"), 28, 10).macs();
    long depth20 = ModelStats.count(ModelPresets.scaled("resnext_s_1x24d", 1.0, 20), 28, 10).macs();
    assertThat(depth20 - depth11).isEqualTo(added);
  }

  @Test
  void depthsTheFamilyCannotTakeAreRejectedWithTheValidOnes() {
    assertThatThrownBy(() -> ModelPresets.scaled("resnext_s_1x24d", 1.0, 12))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resnext_s_1x24d")
        .hasMessageContaining("9n+2")
        .hasMessageContaining("11, 20, 29");
    assertThatThrownBy(() -> ModelPresets.scaled("resnet20", 1.0, 29))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("6n+2")
        .hasMessageContaining("8, 14, 20");
    assertThatThrownBy(() -> ModelPresets.scaled("resnet50", 1.0, 56))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("depth 56")
        .hasMessageContaining("[26, 50, 101, 152, 200, 270, 350, 420]");
    assertThatThrownBy(() -> ModelPresets.scaled("resnet18", 1.0, 50))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("basic-block depths are [18, 34]");
    assertThatThrownBy(() -> ModelPresets.scaled("resnet20", 1.0, 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ModelPresets.scaled("resnet20", 1.0, 6 * 201 + 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("n = 1 to 200");
    assertThatThrownBy(() -> ModelPresets.scaled("resnet20", 3.0, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[0.25, 2]");
    assertThatThrownBy(() -> ModelPresets.scaled("resnet20", Double.NaN, null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void countSetsTheClassifierOutputs() {
    ModelStats tenClasses = ModelStats.count(ModelPresets.get("resnet50"), 224, 10);
    // 990 fewer outputs: 2048 weights and one bias each.
    assertThat(tenClasses.trainableParameters()).isEqualTo(25_557_032L - 990L * (2048 + 1));
  }

  @ParameterizedTest(name = "{0} runs a forward pass at 28 px")
  @ValueSource(
      strings = {
        "resnext_s_1x24d",
        "resnext_s_2x15d",
        "resnext_s_4x9d",
        "resnext_s_8x5d",
        "resnest_s",
        "resnetrs_s",
        "resnetrs20"
      })
  void smallPresetsRunAtTheirResolution(String name) {
    ModelPresetsTest.assertForwardPass(ModelPresets.get(name), 28);
  }

  @ParameterizedTest(name = "{0} x{1} keeps its grouped convolutions valid")
  @CsvSource({"resnext_s_8x5d, 0.3", "resnext_s_2x15d, 1.7", "resnest_s, 0.75", "resnetrs_s, 1.5"})
  void oddWidthsStillBuildAndRun(String name, double width) {
    ModelPresetsTest.assertForwardPass(ModelPresets.scaled(name, width, 20), 28);
  }
}
