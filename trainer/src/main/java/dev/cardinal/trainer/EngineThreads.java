package dev.cardinal.trainer;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.cardinal.trainer.os.NativeAllocator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * How the PyTorch engine shares the machine's cores between the stages of one JVM.
 *
 * <p>DJL's engine reads its thread counts once, when it starts, for the whole JVM; and each thread
 * that calls into PyTorch gets its own OpenMP team of that size. A trainer and an evaluator that
 * both compute at once on a small CPU therefore run twice as many busy threads as cores: measured
 * on 2 cores, 28-36% kernel time and 14-16k context switches a second during every evaluation.
 * Cardinal instead gives the engine one intra-op thread per core and no extra inter-op threads.
 *
 * <p>Taking turns is not enough: the team stays, idle, as long as its thread lives, and libgomp
 * (PyTorch's OpenMP runtime on Linux) counts every team's threads. Once they outnumber the cores it
 * stops spinning at the barriers between operators in all teams and puts threads to sleep instead.
 * Measured on 2 cores (resnetrs20, batch 128): a trainer trained 11-18% slower while an idle
 * evaluator thread that had scored one batch was alive. So every computation of the co-located
 * stages runs on one thread, {@link #call}: one OpenMP team in the process, whose turns (a training
 * step, an evaluation pass) follow in the order they were asked for.
 */
public final class EngineThreads {
  static final String INTRA_OP = "ai.djl.pytorch.num_threads";
  static final String INTER_OP = "ai.djl.pytorch.num_interop_threads";

  /**
   * The engine's thread; a daemon, so a JVM whose stages have stopped can exit. Its queue makes the
   * turns fair: no stage starves. On a GPU the trainer needs turns anyway, since DJL allows one
   * gradient collector per process ("A PtGradientCollector is already collecting").
   */
  private static volatile Thread engineThread;

  private static final ExecutorService ENGINE =
      Executors.newSingleThreadExecutor(
          work -> {
            Thread thread = new Thread(work, "cardinal-engine");
            thread.setDaemon(true);
            engineThread = thread;
            return thread;
          });

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

  /**
   * The counts the engine actually uses on its thread, read back from it (starts the engine if
   * needed).
   */
  public static Budget inForce() {
    return call(
        () -> {
          Engine.getEngine("PyTorch");
          return new Budget(JniUtils.getNumThreads(), JniUtils.getNumInteropThreads());
        });
  }

  /**
   * Runs {@code work} on the engine's thread and returns its result, after the turns asked for
   * before it; on that thread already (a turn within a turn), runs it in place. An exception from
   * {@code work} is thrown here, as it was thrown there. Waits for the work to end even when this
   * thread is interrupted, since the work may use arrays the caller frees when it returns; the
   * interrupt is kept for the caller to see.
   */
  public static <T> T call(Supplier<T> work) {
    if (onEngineThread()) {
      return work.get();
    }
    Future<T> turn = ENGINE.submit(work::get);
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return turn.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException runtime) {
            throw runtime;
          }
          if (cause instanceof Error error) {
            throw error;
          }
          throw new IllegalStateException(cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** {@link #call} for work without a result. */
  public static void run(Runnable work) {
    call(
        () -> {
          work.run();
          return null;
        });
  }

  /** Whether this thread is the engine's, where {@link #call} runs work in place. */
  public static boolean onEngineThread() {
    return Thread.currentThread() == engineThread;
  }
}
