package dev.cardinal.trainer.os;

import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the C library's allocator from handing freed tensor memory back to the kernel after every
 * training step.
 *
 * <p>PyTorch on a CPU allocates each step's activations and gradients (megabytes each) with {@code
 * malloc} and frees them at the end of the step. glibc serves such blocks with fresh {@code mmap}s
 * and returns free memory at the top of its heaps to the kernel, so every step faults its whole
 * working set back in, one zero-filled page at a time. Measured on 2 cores, resnet20 at batch 128
 * on 28 px (bench/allocator): 19-37 s of 120-190 s CPU time in the kernel. Turning off {@code
 * mmap}ed blocks and trimming keeps that memory in the process for the next step. PyTorch's
 * performance guide swaps in jemalloc or tcmalloc for the same reason; {@code mallopt} needs no
 * extra library and takes effect while the process runs. The cost: the process keeps its peak
 * native memory rather than shrinking after it.
 *
 * <p>A user's own allocator settings win: a preloaded allocator, glibc's malloc tunables or {@code
 * MALLOC_*} variables, or {@code CARDINAL_MALLOC=default}.
 */
public final class NativeAllocator {
  /** Set to {@code default} to leave the C library's allocator as it is. */
  public static final String SWITCH_VARIABLE = "CARDINAL_MALLOC";

  private static final Logger log = LoggerFactory.getLogger(NativeAllocator.class);
  private static boolean applied;

  private NativeAllocator() {}

  /**
   * Applies the setting once per process unless the user chose otherwise. The training session and
   * the evaluator's scorer call it, the places where the engine allocates tensors.
   */
  public static synchronized void keepFreedMemory() {
    if (applied) {
      return;
    }
    applied = true;
    String userChoice = userChoice(System.getenv());
    if (userChoice != null) {
      log.debug("C allocator left as it is: {}", userChoice);
      return;
    }
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return;
    }
    try {
      boolean ok =
          Libc.INSTANCE.mallopt(Libc.M_MMAP_MAX, 0) == 1
              && Libc.INSTANCE.mallopt(Libc.M_TRIM_THRESHOLD, Integer.MAX_VALUE) == 1;
      if (ok) {
        log.debug(
            "C allocator keeps freed memory for reuse ({}=default to turn off)", SWITCH_VARIABLE);
      } else {
        log.debug("C allocator refused the settings (not glibc?); left as it is");
      }
    } catch (LinkageError e) {
      log.debug("No mallopt in this C library; allocator left as it is: {}", e.getMessage());
    }
  }

  /**
   * Why the allocator is left alone, given the environment; null when Cardinal may set it. Any
   * malloc setting of the user's counts, since mixing theirs with ours would measure neither.
   */
  static String userChoice(Map<String, String> env) {
    if ("default".equalsIgnoreCase(env.getOrDefault(SWITCH_VARIABLE, ""))) {
      return SWITCH_VARIABLE + "=default";
    }
    String preload = env.getOrDefault("LD_PRELOAD", "");
    if (preload.toLowerCase(Locale.ROOT).contains("malloc")) {
      return "LD_PRELOAD=" + preload;
    }
    if (env.getOrDefault("GLIBC_TUNABLES", "").contains("glibc.malloc.")) {
      return "GLIBC_TUNABLES sets malloc";
    }
    for (String name : env.keySet()) {
      // glibc's own (MALLOC_TRIM_THRESHOLD_, MALLOC_ARENA_MAX, ...) and jemalloc's MALLOC_CONF.
      if (name.startsWith("MALLOC_")) {
        return name + " is set";
      }
    }
    return null;
  }
}
