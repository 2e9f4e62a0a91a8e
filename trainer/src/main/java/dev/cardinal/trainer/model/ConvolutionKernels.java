package dev.cardinal.trainer.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Convolution;
import dev.cardinal.trainer.os.Libc;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses oneDNN's CPU kernels for the networks a process will train, so that they get right
 * gradients at full speed.
 *
 * <p>Why: oneDNN's AVX-512 kernels compute wrong input gradients for 3x3 stride-1 ungrouped
 * convolutions whose channel counts are not multiples of 16 ({@link ConvGradientCheck} has the
 * details). Capping oneDNN at AVX2 avoids them but makes every network about 30 % slower on CPU
 * ({@code bench/trainer}, resnet20), also those that have no such convolution (resnet20/32/56 and
 * the torchvision ResNets: 16, 32, 64... channels). So the cap is set only when a network to be
 * trained has an affected convolution, and a user's own {@value #ISA_VARIABLE} always wins.
 *
 * <p>oneDNN reads {@value #ISA_VARIABLE} from the C environment the first time it creates a
 * convolution, not when libtorch is loaded (checked: the cap set after the engine had started, but
 * before any convolution, gave right gradients). Java cannot change its own environment, so the
 * variable is set with the C library's {@code setenv} through JNA, which DJL already depends on.
 * That is why {@link #capForTraining} must run before this process's first convolution, that is,
 * before any stage starts; a session that finds the cap missing anyway refuses to train (see {@link
 * #refusal}).
 */
public final class ConvolutionKernels {

  private static final Logger log = LoggerFactory.getLogger(ConvolutionKernels.class);

  /** The environment variable oneDNN reads for its highest instruction set. */
  public static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";

  /** The highest instruction set whose convolution gradients are right (see the class comment). */
  public static final String SAFE_ISA = "AVX2";

  /** oneDNN's AVX-512 kernels block channels by 16; counts that are multiples of it are right. */
  private static final int CHANNEL_BLOCK = 16;

  private static boolean capped;

  /**
   * Networks already found to need no cap: a pipeline checks its runs before its stages start, and
   * each run's stage checks its own again; building the network twice would be wasted start-up.
   */
  private static final Set<ResNetSpec> checkedUnaffected = new HashSet<>();

  private ConvolutionKernels() {}

  /**
   * The convolutions of an initialized network whose input gradients the faulty kernels would
   * compute, described as "3x3 conv 24->24 channels" (each shape once). The first convolution (the
   * stem) is left out: the image needs no gradient, so its input gradient is never computed.
   */
  public static List<String> affected(Block initialized) {
    Set<String> found = new LinkedHashSet<>();
    List<Convolution> convolutions = new ArrayList<>();
    collectConvolutions(initialized, convolutions);
    for (Convolution conv :
        convolutions.subList(Math.min(1, convolutions.size()), convolutions.size())) {
      int in = Math.toIntExact(conv.getInputShapes()[0].get(1));
      int out = conv.getFilters();
      if (isThreeByThreeStrideOne(conv)
          && conv.getGroups() == 1
          && (in % CHANNEL_BLOCK != 0 || out % CHANNEL_BLOCK != 0)) {
        found.add(String.format("3x3 conv %d->%d channels", in, out));
      }
    }
    return List.copyOf(found);
  }

  /** {@link #affected(Block)} of a spec's network; builds shapes only, runs nothing. */
  public static List<String> affected(ResNetSpec spec) {
    return ModelStats.withShapes(spec, 64, ConvolutionKernels::affected);
  }

  /**
   * Caps oneDNN at {@value #SAFE_ISA} for this process when one of {@code networks} (by model name)
   * has an affected convolution and the environment does not name an instruction set already. Call
   * before the process's first convolution (before stages start); later calls are no-ops once
   * capped.
   */
  public static synchronized void capForTraining(Map<String, ResNetSpec> networks) {
    if (capped) {
      return;
    }
    Map<String, ResNetSpec> unchecked = new LinkedHashMap<>(networks);
    unchecked.values().removeAll(checkedUnaffected);
    String isaSetting = System.getenv(ISA_VARIABLE);
    String reason = capReason(unchecked, isaSetting);
    if (reason == null) {
      if (isaSetting == null) {
        checkedUnaffected.addAll(unchecked.values());
      }
      return;
    }
    int rc = Libc.INSTANCE.setenv(ISA_VARIABLE, SAFE_ISA, 1);
    if (rc != 0) {
      log.warn("Could not set {}={} (setenv returned {})", ISA_VARIABLE, SAFE_ISA, rc);
      return;
    }
    capped = true;
    log.info(
        "oneDNN capped at {} for this process: {}. Its AVX-512 gradients for these are wrong on"
            + " some CPUs; networks without them train faster uncapped.",
        SAFE_ISA,
        reason);
  }

  /**
   * Why the cap is needed (the first network and its affected convolutions), or null when it is
   * not: no network has an affected convolution, or {@code isaSetting} (the environment's value,
   * the user's choice) is already there.
   */
  static String capReason(Map<String, ResNetSpec> networks, String isaSetting) {
    if (isaSetting != null && !isaSetting.isBlank()) {
      return null;
    }
    for (Map.Entry<String, ResNetSpec> network : networks.entrySet()) {
      List<String> affected = affected(network.getValue());
      if (!affected.isEmpty()) {
        return String.format("%s has %s", network.getKey(), String.join(", ", affected));
      }
    }
    return null;
  }

  /**
   * The error that stops a training session, or null when it may go on: a network with affected
   * convolutions ({@code affected}) must not train on a CPU whose gradient check found a {@code
   * problem} (see {@link ConvGradientCheck#problem()}); one without them trains right either way.
   */
  public static String refusal(String model, List<String> affected, String problem) {
    if (problem == null || affected.isEmpty()) {
      return null;
    }
    return String.format(
        "refusing to train %s: it has %s, and %s", model, String.join(", ", affected), problem);
  }

  private static boolean isThreeByThreeStrideOne(Convolution conv) {
    Shape kernel = conv.getKernelShape();
    Shape stride = conv.getStride();
    return kernel.dimension() == 2
        && kernel.get(0) == 3
        && kernel.get(1) == 3
        && stride.get(0) == 1
        && stride.get(1) == 1;
  }

  private static void collectConvolutions(Block block, List<Convolution> into) {
    if (block instanceof Convolution conv) {
      into.add(conv);
    }
    for (Block child : block.getChildren().values()) {
      collectConvolutions(child, into);
    }
  }
}
