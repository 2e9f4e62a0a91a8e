package dev.cardinal.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelPresetsTest {

  @Test
  void knowsTheRequiredPresets() {
    assertThat(ModelPresets.names())
        .contains(
            "resnet18",
            "resnet34",
            "resnet50",
            "resnet101",
            "resnet152",
            "resnet200",
            "resnet50d",
            "resnext50_32x4d",
            "resnext101_32x8d",
            "wide_resnet50_2",
            "resnest50d",
            "resnest101e",
            "resnetrs50",
            "resnetrs101",
            "resnetrs152",
            "resnetrs200",
            "resnet20",
            "resnet56",
            "resnet110");
    assertThat(ModelPresets.get("resnet20").numClasses()).isEqualTo(10);
    assertThat(ModelPresets.get("resnet50").numClasses()).isEqualTo(1000);
  }

  @Test
  void unknownNameListsTheKnownOnes() {
    assertThatThrownBy(() -> ModelPresets.get("resnet51"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resnet51")
        .hasMessageContaining("resnet50")
        .hasMessageContaining("resnest50d")
        .hasMessageContaining("resnetrs50");
  }

  @Test
  void depthTables() {
    assertThat(ResNetSpec.stageDepths(18)).containsExactly(2, 2, 2, 2);
    assertThat(ResNetSpec.stageDepths(26)).containsExactly(2, 2, 2, 2);
    assertThat(ResNetSpec.stageDepths(34)).containsExactly(3, 4, 6, 3);
    assertThat(ResNetSpec.stageDepths(50)).containsExactly(3, 4, 6, 3);
    assertThat(ResNetSpec.stageDepths(101)).containsExactly(3, 4, 23, 3);
    assertThat(ResNetSpec.stageDepths(152)).containsExactly(3, 8, 36, 3);
    assertThat(ResNetSpec.stageDepths(200)).containsExactly(3, 24, 36, 3);
    assertThat(ResNetSpec.stageDepths(270)).containsExactly(4, 29, 53, 4);
    assertThat(ResNetSpec.stageDepths(350)).containsExactly(4, 36, 72, 4);
    assertThat(ResNetSpec.stageDepths(420)).containsExactly(4, 44, 87, 4);
    assertThat(ResNetSpec.stageDepths(20)).containsExactly(3, 3, 3);
    assertThat(ResNetSpec.stageDepths(32)).containsExactly(5, 5, 5);
    assertThat(ResNetSpec.stageDepths(44)).containsExactly(7, 7, 7);
    assertThat(ResNetSpec.stageDepths(56)).containsExactly(9, 9, 9);
    assertThat(ResNetSpec.stageDepths(110)).containsExactly(18, 18, 18);
    assertThatThrownBy(() -> ResNetSpec.stageDepths(19))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void specIsAPlainJsonRecord() throws Exception {
    ObjectMapper json = new ObjectMapper();
    for (String name : ModelPresets.names()) {
      ResNetSpec spec = ModelPresets.get(name).withDropPathRate(0.05).withNumClasses(37);
      String text = json.writeValueAsString(spec);
      assertThat(json.readValue(text, ResNetSpec.class)).isEqualTo(spec);
    }
    assertThat(json.writeValueAsString(ModelPresets.get("resnest50d")))
        .contains("\"attention\":\"SPLIT_ATTENTION\"")
        .contains("\"depths\":[3,4,6,3]")
        .doesNotContain("totalBlocks");
  }

  @Test
  void copyMethodsChangeOnlyTheirField() {
    ResNetSpec base = ModelPresets.get("resnet50");
    assertThat(base.withNumClasses(5).numClasses()).isEqualTo(5);
    assertThat(base.withNumClasses(5).withNumClasses(1000)).isEqualTo(base);
    assertThat(base.withDropPathRate(0.1).dropPathRate()).isEqualTo(0.1);
    assertThat(base.withDropoutRate(0.2).dropoutRate()).isEqualTo(0.2);
    assertThat(base.withDropoutRate(0.2).withDropPathRate(0.1).depths()).isEqualTo(base.depths());
    assertThatThrownBy(() -> base.withNumClasses(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> base.withWidthMultiplier(3.0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void zeroInitSetsTheLastGammaOfEveryBranchToZero() {
    try (NDManager manager = NDManager.newBaseManager()) {
      Block net = ResNetBuilder.build(ModelPresets.get("resnet20"));
      net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 8, 8));
      int zero = 0;
      int one = 0;
      for (Pair<String, Parameter> p : net.getParameters()) {
        if (p.getValue().getType() == Parameter.Type.GAMMA) {
          float sum = p.getValue().getArray().abs().sum().getFloat();
          if (sum == 0f) {
            zero++;
          } else {
            one++;
          }
        }
      }
      assertThat(zero).isEqualTo(9); // one per residual block
      assertThat(one).isEqualTo(1 + 9 + 2); // stem, first BN of each block, 2 shortcut BNs
    }
  }

  @ParameterizedTest(name = "{0} x{1} with {2} classes at {3} px")
  @CsvSource({
    "resnet18, 0.25, 3, 40",
    "resnet50, 2.0, 1, 17",
    "resnext50_32x4d, 0.5, 100, 48",
    "resnest101e, 0.25, 2, 33",
    "resnetrs50, 0.75, 11, 29",
    "resnet56, 0.5, 4, 20",
  })
  void anyWidthClassCountAndResolution(String name, double width, int classes, int resolution) {
    ResNetSpec spec = ModelPresets.get(name).withWidthMultiplier(width).withNumClasses(classes);
    assertForwardPass(spec, resolution);
  }

  /**
   * Builds the network, runs two random images of {@code resolution} px through it and checks the
   * logits: one row per image, one column per class, all finite, the shape the block predicts.
   */
  static void assertForwardPass(ResNetSpec spec, int resolution) {
    Shape input = new Shape(2, 3, resolution, resolution);
    try (NDManager manager = NDManager.newBaseManager()) {
      Block net = ResNetBuilder.build(spec);
      net.initialize(manager, DataType.FLOAT32, input);
      NDArray out =
          net.forward(
                  new ParameterStore(manager, false),
                  new NDList(manager.randomNormal(input)),
                  false)
              .singletonOrThrow();
      assertThat(out.getShape()).isEqualTo(new Shape(2, spec.numClasses()));
      assertThat(net.getOutputShapes(new Shape[] {input})[0]).isEqualTo(out.getShape());
      assertThat(out.isNaN().any().getBoolean()).isFalse();
    }
  }

  @Test
  void resnetrs20IsResnet20WithSqueezeExcitationInEveryBlockAndAveragePoolShortcuts() {
    ResNetSpec rs = ModelPresets.get("resnetrs20");
    assertThat(rs)
        .isEqualTo(
            ModelPresets.get("resnet20")
                .withAttention(ResNetSpec.Attention.SE)
                .withShortcut(ResNetSpec.Shortcut.AVG_DOWN));
    // Three blocks a stage; SE squeezes C channels to max(8, C / 4) through two 1x1 convs with
    // biases: C*r + r + r*C + C parameters a block. The average pool has none.
    long squeezeExcite = 0;
    for (int channels : new int[] {16, 32, 64}) {
      int reduced = Math.max(8, channels / 4);
      squeezeExcite += 3L * (2L * channels * reduced + reduced + channels);
    }
    assertThat(ModelStats.count(rs, 28, 10).trainableParameters())
        .isEqualTo(
            ModelStats.count(ModelPresets.get("resnet20"), 28, 10).trainableParameters()
                + squeezeExcite);
  }

  @Test
  void tableListsEveryPreset() {
    String table = ModelStats.table(32, 10);
    System.out.println(table);
    List<String> lines = table.lines().toList();
    assertThat(lines).hasSize(ModelPresets.names().size() + 1);
    for (String name : ModelPresets.names()) {
      assertThat(table).contains(name + " ");
    }
    assertThat(table).contains("272,474"); // resnet20 with 1x1 conv shortcuts, 10 classes
  }
}
