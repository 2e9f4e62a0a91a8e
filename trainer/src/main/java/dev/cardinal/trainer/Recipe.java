package dev.cardinal.trainer;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.List;
import java.util.Locale;

/**
 * How a network is trained: optimizer, learning-rate schedule and the regularization that is not in
 * the data schedule. Named recipes follow the papers; every field can be overridden by a flag.
 * Copies with other values come from the generated {@link RecipeBuilder.With} withers; each goes
 * through the validating constructor.
 *
 * @param baseLearningRate learning rate for a batch of 256, scaled linearly by batch / 256
 * @param warmupEpochs linear warm-up from 0
 * @param epochs length of the run in epochs: the cosine reaches 0 here; steps decay at fixed
 *     fractions of it
 * @param labelSmoothing mass spread uniformly over all classes (0 = one-hot targets)
 * @param emaDecay decay of the exponential moving average of the weights (0 = no EMA)
 */
@RecordBuilder
public record Recipe(
    String name,
    Decay decay,
    double baseLearningRate,
    double warmupEpochs,
    double epochs,
    double momentum,
    boolean nesterov,
    double weightDecay,
    double labelSmoothing,
    double emaDecay)
    implements RecipeBuilder.With {

  /** Learning-rate decay after warm-up. */
  public enum Decay {
    /** Divide by 10 at 50% and 75% of the run (He et al.). */
    STEP,
    /** Half cosine to 0 at the end of the run (ResNet-RS, timm). */
    COSINE
  }

  public static final List<String> NAMES = List.of("baseline", "resnet-rs", "fashion-mnist");

  public Recipe {
    if (!(baseLearningRate > 0)) {
      throw new IllegalArgumentException("--lr must be > 0, got " + baseLearningRate);
    }
    if (momentum < 0 || momentum >= 1) {
      throw new IllegalArgumentException("--momentum must be in [0, 1), got " + momentum);
    }
    if (weightDecay < 0) {
      throw new IllegalArgumentException("--weight-decay must be >= 0, got " + weightDecay);
    }
    if (labelSmoothing < 0 || labelSmoothing >= 1) {
      throw new IllegalArgumentException(
          "--label-smoothing must be in [0, 1), got " + labelSmoothing);
    }
    if (emaDecay < 0 || emaDecay >= 1) {
      throw new IllegalArgumentException("--ema-decay must be in [0, 1), got " + emaDecay);
    }
    if (!(epochs > 0) || warmupEpochs < 0 || warmupEpochs >= epochs) {
      throw new IllegalArgumentException(
          "--recipe-epochs must be > 0 and --warmup-epochs in [0, epochs), got epochs="
              + epochs
              + " warmup="
              + warmupEpochs);
    }
  }

  /**
   * A named recipe.
   *
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static Recipe named(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      // He et al. 2015: SGD 0.1 (batch 256), momentum 0.9, wd 1e-4, step decay, nothing else.
      case "baseline" -> new Recipe("baseline", Decay.STEP, 0.1, 0, 90, 0.9, false, 1e-4, 0, 0);
      // Bello et al. 2021: cosine, warm-up, wd 4e-5 with the other regularizers, label
      // smoothing 0.1, EMA 0.9999.
      case "resnet-rs" ->
          new Recipe("resnet-rs", Decay.COSINE, 0.1, 5, 350, 0.9, false, 4e-5, 0.1, 0.9999);
      // Fashion-MNIST with a CIFAR ResNet in 10 epochs (about 28 minutes of `./cardinal run` on 2
      // cores, evaluations included, so it ends inside bench/learning's 30): the CIFAR ResNet
      // learning rate (0.1 at batch 128) with one warm-up epoch and a cosine to 0 at epoch 10,
      // heavy-ball momentum 0.9, the short-schedule weight decay 5e-4, label smoothing 0.1 and an
      // EMA over roughly the last epoch. 8 epochs reached 0.927; the cosine then ended at minute
      // 21 and the last 9 minutes trained at a learning rate of 0. 11 epochs gave no more than 10.
      // Pair with --schedule fashion-mnist and --model resnetrs20 (the README has the curve).
      case "fashion-mnist" ->
          new Recipe("fashion-mnist", Decay.COSINE, 0.2, 1, 10, 0.9, false, 5e-4, 0.1, 0.998);
      default ->
          throw new IllegalArgumentException(
              "unknown recipe '" + name + "'; known recipes: " + String.join(", ", NAMES));
    };
  }

  /**
   * A copy with another run length and warm-up. The two change together because the warm-up must
   * stay shorter than the run: setting them one after the other could fail in between.
   */
  public Recipe withEpochs(double epochs, double warmupEpochs) {
    return with(recipe -> recipe.epochs(epochs).warmupEpochs(warmupEpochs));
  }

  /** Learning rate at a point of training, for a batch of {@code batchSize}. */
  public float learningRate(double progressEpochs, int batchSize) {
    double peak = baseLearningRate * batchSize / 256.0;
    if (progressEpochs < warmupEpochs) {
      return (float) (peak * progressEpochs / warmupEpochs);
    }
    double done = Math.min(1.0, (progressEpochs - warmupEpochs) / (epochs - warmupEpochs));
    return (float)
        switch (decay) {
          case COSINE -> peak * 0.5 * (1 + Math.cos(Math.PI * done));
          case STEP -> peak * (done < 0.5 ? 1 : done < 0.75 ? 0.1 : 0.01);
        };
  }

  /** EMA decay at a step, warmed up as in timm's ModelEmaV2 so early averages are not stale. */
  public double emaDecayAt(long step) {
    return Math.min(emaDecay, (1.0 + step) / (10.0 + step));
  }
}
