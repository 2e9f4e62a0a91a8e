package dev.cardinal.trainer.os;

import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the C library's allocator from handing freed tensor memory back to the kernel after every
 * training step, and has PyTorch put its large tensors on transparent huge pages.
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
 * <p>Stages train and score on threads of their own, and glibc serves other threads from arenas
 * made of 64 MiB heaps that it unmaps as soon as one is all free, whatever the trim threshold.
 * Inside {@code ./cardinal run} that made 54 huge-page faults (108 MiB zeroed) a second once the
 * evaluator had run, with a fifth of the CPU time in the kernel. A top pad of a whole heap keeps
 * those heaps too: a run with it had no huge-page faults, also after its evaluations, and a lone
 * trainer thread takes 80 page faults a step instead of 574.
 *
 * <p>Huge pages: a convolution over a batch of activations walks megabytes of memory, which on 4
 * KiB pages means a TLB miss every few kilobytes (the likely reason for the speed-up measured
 * below). PyTorch advises the kernel to back its large CPU tensors (2 MiB and up) with transparent
 * huge pages when {@value #HUGE_PAGES_VARIABLE}=1, and Linux honours that advice unless
 * /sys/kernel/mm/transparent_hugepage/enabled says {@code never}. Measured with bench/allocator
 * (resnetrs20's recipe on 28 px, batch 128, 2 cores): 554 images/s with huge pages and kept memory,
 * 401 with kept memory alone, 192 with neither. libtorch reads the variable once, at its first CPU
 * allocation, so {@link #tuneForTensors} must run before the process's first tensor.
 *
 * <p>A user's own settings win: a preloaded allocator, glibc's malloc tunables or {@code MALLOC_*}
 * variables leave malloc alone; a {@value #HUGE_PAGES_VARIABLE} of the user's is kept; {@code
 * CARDINAL_MALLOC=default} leaves both as they are.
 */
public final class NativeAllocator {
  /** Set to {@code default} to leave the C library's allocator as it is. */
  public static final String SWITCH_VARIABLE = "CARDINAL_MALLOC";

  /**
   * The size of the heaps glibc gives a thread's own arena (HEAP_MAX_SIZE on 64-bit). A top pad
   * this large keeps glibc from deleting such a heap whenever it is all free (see the class
   * comment).
   */
  static final int THREAD_HEAP_BYTES = 64 << 20;

  /** libtorch's switch for huge-page tensors (c10's alloc_cpu): 1 on, 0 off. */
  public static final String HUGE_PAGES_VARIABLE = "THP_MEM_ALLOC_ENABLE";

  private static final Logger log = LoggerFactory.getLogger(NativeAllocator.class);
  private static boolean applied;

  private NativeAllocator() {}

  /**
   * Applies both settings once per process unless the user chose otherwise. Call before the
   * process's first tensor: {@link dev.cardinal.trainer.EngineThreads#configure} does, and so do
   * the training session and the evaluator's scorer for code that starts neither through it.
   */
  public static synchronized void tuneForTensors() {
    if (applied) {
      return;
    }
    applied = true;
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return;
    }
    Map<String, String> env = System.getenv();
    try {
      keepFreedMemory(env);
      useHugePages(env);
    } catch (LinkageError e) {
      log.debug("No C library to tune; allocator left as it is: {}", e.getMessage());
    }
  }

  private static void keepFreedMemory(Map<String, String> env) {
    String userChoice = userChoice(env);
    if (userChoice != null) {
      log.debug("C allocator left as it is: {}", userChoice);
      return;
    }
    boolean ok =
        Libc.INSTANCE.mallopt(Libc.M_MMAP_MAX, 0) == 1
            && Libc.INSTANCE.mallopt(Libc.M_TRIM_THRESHOLD, Integer.MAX_VALUE) == 1
            && Libc.INSTANCE.mallopt(Libc.M_TOP_PAD, THREAD_HEAP_BYTES) == 1;
    if (ok) {
      log.debug(
          "C allocator keeps freed memory for reuse ({}=default to turn off)", SWITCH_VARIABLE);
    } else {
      log.debug("C allocator refused the settings (not glibc?); left as it is");
    }
  }

  private static void useHugePages(Map<String, String> env) {
    String userChoice = hugePagesChoice(env);
    if (userChoice != null) {
      log.debug("Huge pages for tensors left as they are: {}", userChoice);
      return;
    }
    // overwrite = 0: a value set since the JVM read its environment still wins.
    int rc = Libc.INSTANCE.setenv(HUGE_PAGES_VARIABLE, "1", 0);
    log.debug("Huge pages for large tensors: {}=1 (setenv returned {})", HUGE_PAGES_VARIABLE, rc);
  }

  /** Why huge pages are left alone, given the environment; null when Cardinal may turn them on. */
  static String hugePagesChoice(Map<String, String> env) {
    if ("default".equalsIgnoreCase(env.getOrDefault(SWITCH_VARIABLE, ""))) {
      return SWITCH_VARIABLE + "=default";
    }
    if (env.containsKey(HUGE_PAGES_VARIABLE)) {
      return HUGE_PAGES_VARIABLE + "=" + env.get(HUGE_PAGES_VARIABLE);
    }
    return null;
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
