package dev.cardinal.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.trainer.testing.ChildJvm;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which networks need oneDNN capped at AVX2, and that the cap set from inside a running JVM reaches
 * oneDNN. The affected shapes are the ones measured on an AVX-512 CPU (see {@link
 * ConvGradientCheck}): ungrouped 3x3 stride-1 convolutions over 8 or 24 channels were wrong; 16, 32
 * and 48 channels, and grouped ones over 30/2, 36/4, 40/8 channels, were right.
 */
class ConvolutionKernelsTest {

  @Test
  void networksWithSixteenChannelMultiplesAreNotAffected() {
    for (String preset : List.of("resnet20", "resnet56", "resnet50", "resnext50_32x4d")) {
      assertThat(ConvolutionKernels.affected(ModelPresets.get(preset))).as(preset).isEmpty();
    }
  }

  @Test
  void ungroupedConvolutionsOverTwentyFourChannelsAreAffected() {
    assertThat(ConvolutionKernels.affected(ModelPresets.get("resnext_s_1x24d")))
        .containsExactly("3x3 conv 24->24 channels");
  }

  @Test
  void groupedConvolutionsAreNotAffected() {
    // 2 groups of 15 channels: right on AVX-512, as the measurement above found.
    assertThat(ConvolutionKernels.affected(ModelPresets.get("resnext_s_2x15d"))).isEmpty();
  }

  @Test
  void theCapIsNeededOnlyForAnAffectedNetworkAndNoChoiceOfTheUsers() {
    Map<String, ResNetSpec> fast = Map.of("resnet20", ModelPresets.get("resnet20"));
    Map<String, ResNetSpec> both = new LinkedHashMap<>(fast);
    both.put("resnext_s_1x24d", ModelPresets.get("resnext_s_1x24d"));

    assertThat(ConvolutionKernels.capReason(fast, null)).isNull();
    assertThat(ConvolutionKernels.capReason(both, null))
        .isEqualTo("resnext_s_1x24d has 3x3 conv 24->24 channels");
    assertThat(ConvolutionKernels.capReason(both, "ALL")).as("the user's setting wins").isNull();
  }

  @Test
  void aSessionIsRefusedOnlyWhenItsNetworkIsAffectedAndTheCheckFailed() {
    List<String> affected = List.of("3x3 conv 24->24 channels");
    assertThat(ConvolutionKernels.refusal("m", affected, null)).isNull();
    assertThat(ConvolutionKernels.refusal("m", List.of(), "wrong gradients")).isNull();
    assertThat(ConvolutionKernels.refusal("m", affected, "wrong gradients"))
        .isEqualTo("refusing to train m: it has 3x3 conv 24->24 channels, and wrong gradients");
  }

  /**
   * A JVM started without the variable (unlike this module's tests, whose surefire sets it) caps
   * itself for an affected network and then computes right gradients. On an AVX-512 CPU with the
   * fault, this fails if the cap does not reach oneDNN.
   */
  @Test
  void aProcessStartedWithoutTheVariableCapsItselfAndGetsRightGradients()
      throws IOException, InterruptedException {
    String output =
        ChildJvm.output(CappedProcess.class, env -> env.remove(ConvolutionKernels.ISA_VARIABLE));
    assertThat(output).contains("oneDNN capped at AVX2").contains("gradient problem: none");
  }

  /** The child process of the test above. */
  public static final class CappedProcess {
    public static void main(String[] args) {
      ConvolutionKernels.capForTraining(
          Map.of("resnext_s_1x24d", ModelPresets.get("resnext_s_1x24d")));
      String problem = ConvGradientCheck.problem();
      System.out.println("gradient problem: " + (problem == null ? "none" : problem));
    }
  }
}
