package dev.cardinal.app;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.trainer.TrainerStage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a sweep's unfinished points in this process, one {@link TrainerStage} per point (its own
 * run id and consumer group on the one augmented stream), side by side or at most {@code parallel}
 * at a time. A point resumes from its run's newest checkpoint, as every trainer does, and stops at
 * its sample budget with a final checkpoint (so it is scored).
 *
 * <p>The runner follows {@code cardinal.sweeps}: points another process adds to this sweep ({@code
 * cardinal sweep extend}) are trained too, and a stop request ({@code cardinal sweep stop}) stops
 * every point with a final checkpoint and publishes {@value SweepEvent#STOPPED}.
 */
final class SweepRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SweepRunner.class);

  private final KafkaSettings kafka;
  private final CheckpointStore store;
  private final SweepLog sweepLog;
  private final SweepFold fold;
  private final SweepTraining training;
  private final Schedule schedule;
  private final ExecutorService pool;
  private final Map<String, TrainerStage> active = new ConcurrentHashMap<>();
  private final AtomicInteger unfinishedTasks = new AtomicInteger();
  private final Object finishedSignal = new Object();
  private final Object stopLock = new Object();
  private volatile boolean stopping;
  private volatile boolean stopPublished;
  private AutoCloseable follower;

  /**
   * @param fold the sweep as read so far; the runner folds the events it follows into it
   * @param parallel points trained at once; 0: every point at once
   */
  SweepRunner(
      KafkaSettings kafka, CheckpointStore store, SweepLog sweepLog, SweepFold fold, int parallel) {
    this.kafka = kafka;
    this.store = store;
    this.sweepLog = sweepLog;
    this.fold = fold;
    this.training = SweepTraining.fromJson(fold.training(), fold.sweepId());
    this.schedule = training.resolvedSchedule(fold.sweepId());
    this.pool =
        parallel > 0
            ? Executors.newFixedThreadPool(parallel, this::pointThread)
            : Executors.newCachedThreadPool(this::pointThread);
    chooseCpuKernels(fold);
  }

  /**
   * Chooses oneDNN's CPU kernels for every point of the sweep (see {@code ConvolutionKernels});
   * before any stage of the process runs a convolution, so a pipeline calls it before it starts.
   */
  static void chooseCpuKernels(SweepFold fold) {
    SweepTraining training = SweepTraining.fromJson(fold.training(), fold.sweepId());
    Schedule schedule = training.resolvedSchedule(fold.sweepId());
    TrainerStage.chooseCpuKernels(
        fold.points().stream()
            .map(point -> training.trainerConfig(point, fold.budgetSamples(), schedule))
            .toList());
  }

  private Thread pointThread(Runnable body) {
    Thread thread = new Thread(body, "sweep-" + fold.sweepId() + "-point");
    thread.setDaemon(true);
    return thread;
  }

  /**
   * Starts the unfinished points, and follows {@code cardinal.sweeps} from {@code followFrom} (the
   * offset after the events {@code fold} holds).
   */
  void start(long followFrom) {
    List<SweepPoint> unfinished;
    synchronized (fold) {
      unfinished = fold.unfinished();
    }
    log.info(
        "Sweep {}: {} of {} points to train, {} samples each",
        fold.sweepId(),
        unfinished.size(),
        fold.points().size(),
        fold.budgetSamples());
    unfinished.forEach(this::submit);
    follower = sweepLog.follow(followFrom, this::onEvent);
  }

  private void onEvent(SweepEvent event) {
    if (!fold.sweepId().equals(event.sweepId())) {
      return;
    }
    List<SweepPoint> added;
    synchronized (fold) {
      added = fold.apply(event);
    }
    if (!added.isEmpty() && !stopping) {
      log.info("Sweep {} extended by {} points", fold.sweepId(), added.size());
      added.forEach(this::submit);
    }
    if (SweepEvent.STOP_REQUESTED.equals(event.kind())) {
      String who = event.message() == null ? "a stop request" : event.message();
      log.info("Sweep {}: stop requested ({})", fold.sweepId(), who);
      // Not on the follower's thread: stopping waits for the points' final checkpoints.
      Thread stopper = new Thread(() -> stop("stop requested: " + who), "sweep-stop");
      stopper.setDaemon(true);
      stopper.start();
    }
  }

  private void submit(SweepPoint point) {
    unfinishedTasks.incrementAndGet();
    pool.execute(
        () -> {
          try {
            train(point);
          } finally {
            if (unfinishedTasks.decrementAndGet() == 0) {
              synchronized (finishedSignal) {
                finishedSignal.notifyAll();
              }
            }
          }
        });
  }

  private void train(SweepPoint point) {
    if (stopping) {
      return; // left for 'cardinal sweep resume'
    }
    TrainerStage stage;
    try {
      stage =
          new TrainerStage(
              training.trainerConfig(point, fold.budgetSamples(), schedule), kafka, store);
    } catch (RuntimeException e) {
      log.error(
          "Sweep {} point {} cannot start: {}", fold.sweepId(), point.pointId(), e.toString());
      progress(point, SweepEvent.FAILED, 0, null, "cannot start: " + e.getMessage());
      return;
    }
    AtomicInteger reports = new AtomicInteger();
    stage.onReport(
        values -> {
          if (reports.incrementAndGet() % SweepTraining.REPORTS_PER_PROGRESS == 0) {
            progress(
                point,
                SweepEvent.RUNNING,
                stage.samplesSeen(),
                stage.computeImagesPerSecond(),
                null);
          }
        });
    active.put(point.pointId(), stage);
    if (stopping) {
      active.remove(point.pointId());
      return;
    }
    log.info("Sweep {}: point {} trains as run {}", fold.sweepId(), point.pointId(), point.runId());
    progress(point, SweepEvent.RUNNING, startingSamples(point), null, null);
    try {
      stage.run();
    } catch (RuntimeException e) {
      log.error("Sweep {} point {} failed: {}", fold.sweepId(), point.pointId(), e.toString(), e);
      progress(
          point,
          SweepEvent.FAILED,
          stage.samplesSeen(),
          stage.computeImagesPerSecond(),
          e.getMessage());
      return;
    } finally {
      active.remove(point.pointId());
    }
    if (stage.budgetReached()) {
      log.info(
          "Sweep {}: point {} trained its {} samples",
          fold.sweepId(),
          point.pointId(),
          fold.budgetSamples());
      progress(point, SweepEvent.DONE, stage.samplesSeen(), stage.computeImagesPerSecond(), null);
    } else {
      progress(
          point, SweepEvent.STOPPED, stage.samplesSeen(), stage.computeImagesPerSecond(), null);
    }
  }

  private long startingSamples(SweepPoint point) {
    synchronized (fold) {
      SweepEvent last = fold.progress(point.pointId());
      return last == null || last.samplesTrained() == null ? 0 : last.samplesTrained();
    }
  }

  private void progress(
      SweepPoint point, String state, long samples, Double imagesPerSecond, String message) {
    Double rate = imagesPerSecond == null || imagesPerSecond.isNaN() ? null : imagesPerSecond;
    sweepLog.publishLater(
        SweepEvent.progress(fold.sweepId(), point.pointId(), state, samples, rate, message));
  }

  /**
   * Waits until every point the runner has (those added while it waits included) has finished or
   * the sweep was stopped.
   */
  void awaitFinished() throws InterruptedException {
    synchronized (finishedSignal) {
      // A stop is finished when its points are and it has said so on cardinal.sweeps.
      while (unfinishedTasks.get() > 0 || (stopping && !stopPublished)) {
        finishedSignal.wait(1_000);
      }
    }
  }

  /** Whether the sweep was stopped rather than finished. */
  boolean stopped() {
    return stopping;
  }

  /**
   * Stops every training point with a final checkpoint, leaves the points not started for a resume,
   * and publishes {@value SweepEvent#STOPPED}. A call while another stops waits for that one; later
   * calls do nothing.
   */
  void stop(String why) {
    synchronized (stopLock) {
      if (stopping) {
        return;
      }
      stopping = true;
      stopTraining(why);
    }
  }

  private void stopTraining(String why) {
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    for (TrainerStage stage : active.values()) {
      // All at once: each waits for its own final checkpoint to reach S3.
      stops.add(CompletableFuture.runAsync(() -> stopQuietly(stage)));
    }
    stops.forEach(CompletableFuture::join);
    pool.shutdown();
    try {
      if (!pool.awaitTermination(2, TimeUnit.MINUTES)) {
        log.warn("Sweep {}: points still stopping after 2 minutes", fold.sweepId());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      sweepLog.publish(SweepEvent.lifecycle(fold.sweepId(), SweepEvent.STOPPED, why));
    } catch (RuntimeException e) {
      log.warn("Sweep {}: 'stopped' not published: {}", fold.sweepId(), e.getMessage());
    }
    log.info(
        "Sweep {} stopped ({}): 'cardinal sweep resume {}'", fold.sweepId(), why, fold.sweepId());
    stopPublished = true;
    synchronized (finishedSignal) {
      finishedSignal.notifyAll();
    }
  }

  private static void stopQuietly(TrainerStage stage) {
    try {
      stage.stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the points still training (a process that ends stops its sweep) and the following. */
  @Override
  public void close() {
    if (unfinishedTasks.get() > 0) {
      stop("the process running it ended");
    }
    // A stop under way elsewhere (a stop request) finishes its final checkpoints first.
    synchronized (stopLock) {
      pool.shutdownNow();
    }
    if (follower != null) {
      try {
        follower.close();
      } catch (Exception e) {
        log.warn("Sweep {}: following {} did not end: {}", fold.sweepId(), "events", e.toString());
      }
    }
  }
}
