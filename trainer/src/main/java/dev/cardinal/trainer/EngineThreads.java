package dev.cardinal.trainer;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.cardinal.trainer.os.NativeAllocator;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How the PyTorch engine shares the machine's cores between the stages of one JVM.
 *
 * <p>DJL's engine reads its thread counts once, when it starts, for the whole JVM; and each thread
 * that calls into PyTorch gets its own OpenMP team of that size. A trainer and an evaluator that
 * both compute at once on a small CPU therefore run twice as many busy threads as cores: measured
 * on 2 cores, 28-36% kernel time and 14-16k context switches a second during every evaluation.
 * Cardinal instead gives the engine one intra-op thread per core and no extra inter-op threads, and
 * has co-located stages take turns ({@link #TURNS}): each forward (and backward) pass then runs on
 * every core, alone.
 */
public final class EngineThreads {
  static final String INTRA_OP = "ai.djl.pytorch.num_threads";
  static final String INTER_OP = "ai.djl.pytorch.num_interop_threads";

  /**
   * Turns at the engine, fair so no stage starves: the trainer holds it for a whole step (forward,
   * backward, update and weight average), the evaluator for one forward pass. On a CPU they would
   * otherwise oversubscribe the cores; on a GPU the trainer needs it anyway, since DJL allows one
   * gradient collector per process ("A PtGradientCollector is already collecting"), so runs trained
   * side by side take turns too.
   */
  public static final ReentrantLock TURNS = new ReentrantLock(true);

  /** The thread counts in force. */
  public record Budget(int intraOp, int interOp) {}

  private EngineThreads() {}

  /**
   * Sets the engine's thread counts for this JVM unless the user set them (system properties):
   * {@code intraOp} threads per computing thread, one inter-op thread; and tunes the C allocator
   * for tensors ({@link NativeAllocator}). Must run before the engine starts; later calls change
   * nothing.
   */
  public static void configure(int intraOp) {
    if (intraOp < 1) {
      throw new IllegalArgumentException("intra-op threads must be >= 1, got " + intraOp);
    }
    // The allocator's settings, like the thread counts, are read once, at the first tensor.
    NativeAllocator.tuneForTensors();
    if (System.getProperty(INTRA_OP) == null) {
      System.setProperty(INTRA_OP, Integer.toString(intraOp));
    }
    if (System.getProperty(INTER_OP) == null) {
      System.setProperty(INTER_OP, "1");
    }
  }

  /** One intra-op thread per core this JVM may use. */
  public static void configureForThisMachine() {
    configure(Runtime.getRuntime().availableProcessors());
  }

  /** The counts the engine actually uses, read back from it (starts the engine if needed). */
  public static Budget inForce() {
    Engine.getEngine("PyTorch");
    return new Budget(JniUtils.getNumThreads(), JniUtils.getNumInteropThreads());
  }
}
