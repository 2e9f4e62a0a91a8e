package dev.cardinal.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.junit.jupiter.api.Test;

class DropPathTest {

  /** One forward pass of {@code block} on {@code x}, with parameters from {@code x}'s manager. */
  private static NDArray forward(Block block, NDArray x, boolean training) {
    return block
        .forward(new ParameterStore(x.getManager(), false), new NDList(x), training)
        .singletonOrThrow();
  }

  @Test
  void dropsAboutItsRateOfSamplesInTrainingAndRescalesTheOthers() {
    try (NDManager manager = NDManager.newBaseManager()) {
      DropPath drop = new DropPath(0.3);
      NDArray x = manager.ones(new Shape(4000, 2, 3, 3));
      float[] values = forward(drop, x, true).toFloatArray();
      int dropped = 0;
      for (int sample = 0; sample < 4000; sample++) {
        float first = values[sample * 18];
        for (int i = 1; i < 18; i++) {
          assertThat(values[sample * 18 + i]).isEqualTo(first); // whole sample dropped or kept
        }
        if (first == 0f) {
          dropped++;
        } else {
          assertThat((double) first).isCloseTo(1 / 0.7, within(1e-5));
        }
      }
      assertThat(dropped / 4000.0).isCloseTo(0.3, within(0.04));
    }
  }

  @Test
  void dropoutDropsSingleActivationsAtARateASchedulesCanChange() {
    try (NDManager manager = NDManager.newBaseManager()) {
      DropPath dropout = DropPath.dropout(0.25);
      NDArray x = manager.ones(new Shape(200, 50));
      float[] values = forward(dropout, x, true).toFloatArray();
      int zeros = 0;
      for (float v : values) {
        if (v == 0f) {
          zeros++;
        } else {
          assertThat((double) v).isCloseTo(1 / 0.75, within(1e-5));
        }
      }
      assertThat(zeros / 10_000.0).isCloseTo(0.25, within(0.03));
      assertThat(x.getShape()).isEqualTo(new Shape(200, 50));

      dropout.setRate(0);
      float[] kept = forward(dropout, x, true).toFloatArray();
      assertThat(kept).containsOnly(1f);
    }
  }

  @Test
  void isExactlyTheIdentityAtInference() {
    try (NDManager manager = NDManager.newBaseManager()) {
      DropPath drop = new DropPath(0.5);
      NDArray x = manager.randomNormal(new Shape(64, 4, 2, 2));
      assertThat(forward(drop, x, false).toFloatArray()).containsExactly(x.toFloatArray());
    }
  }

  @Test
  void rateRisesLinearlyFromZeroAtTheFirstBlockToTheSpecRateAtTheLast() {
    ResNetSpec spec = ModelPresets.get("resnet20").withDropPathRate(0.2);
    List<DropPath> drops = ResNetBuilder.dropPaths(ResNetBuilder.build(spec));
    // 9 blocks: the first has rate 0 and gets no DropPath; the others 0.2 * i / 8.
    assertThat(drops).hasSize(8);
    for (int i = 0; i < drops.size(); i++) {
      assertThat(drops.get(i).rate()).isCloseTo(0.2 * (i + 1) / 8, within(1e-6));
    }
  }

  @Test
  void backPropagatesThroughDroppedAndKeptSamples() {
    // Seeded (-Dcardinal.test.seed=N to try others): which samples are dropped depends on what
    // earlier tests drew from the engine's generator otherwise.
    ai.djl.engine.Engine.getInstance().setRandomSeed(Integer.getInteger("cardinal.test.seed", 42));
    ResNetSpec spec =
        ModelPresets.get("resnetrs50")
            .withWidthMultiplier(0.25)
            .withDropPathRate(0.5)
            .withZeroInitLastGamma(false)
            .withNumClasses(3);
    try (NDManager manager = NDManager.newBaseManager()) {
      Block net = ResNetBuilder.build(spec);
      Shape input = new Shape(8, 3, 32, 32);
      net.initialize(manager, DataType.FLOAT32, input);
      ParameterStore ps = new ParameterStore(manager, false);
      for (int step = 0; step < 2; step++) {
        try (NDManager sub = manager.newSubManager();
            ai.djl.training.GradientCollector gc =
                ai.djl.engine.Engine.getInstance().newGradientCollector()) {
          NDArray logits =
              net.forward(ps, new NDList(sub.randomNormal(input)), true).singletonOrThrow();
          gc.backward(logits.square().mean());
        }
        System.gc();
      }
      NDArray grad = net.getParameters().get(0).getValue().getArray().getGradient();
      assertThat(grad.isNaN().any().getBoolean()).isFalse();
      assertThat(grad.abs().sum().getFloat()).isPositive();
    }
  }

  @Test
  void networkWithDropPathIsDeterministicAtInference() {
    ResNetSpec spec =
        ModelPresets.get("resnet20").withDropPathRate(0.5).withDropoutRate(0.5).withNumClasses(3);
    try (NDManager manager = NDManager.newBaseManager()) {
      Block net = ResNetBuilder.build(spec);
      Shape input = new Shape(4, 3, 16, 16);
      net.initialize(manager, DataType.FLOAT32, input);
      NDArray x = manager.randomNormal(input);
      ParameterStore ps = new ParameterStore(manager, false);
      float[] a = net.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
      float[] b = net.forward(ps, new NDList(x), false).singletonOrThrow().toFloatArray();
      assertThat(a).containsExactly(b);
    }
  }
}
