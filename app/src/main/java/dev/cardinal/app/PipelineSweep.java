package dev.cardinal.app;

import dev.cardinal.ingest.DataSource;
import dev.cardinal.ingest.ImageSource;
import dev.cardinal.ingest.IngestOptions;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cardinal run --sweep GRID}: the whole pipeline in one JVM with a sweep's points as its
 * trainers, so they and the evaluator share the engine's turns and the cores. A sweep id that is
 * already on {@code cardinal.sweeps} is resumed, and extended with the grid's new points.
 */
final class PipelineSweep implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PipelineSweep.class);

  private final Pipeline pipeline;
  private final SweepLog sweepLog;
  private final SweepRunner runner;
  private final String sweepId;

  private PipelineSweep(Pipeline pipeline, SweepLog sweepLog, SweepRunner runner, String sweepId) {
    this.pipeline = pipeline;
    this.sweepLog = sweepLog;
    this.runner = runner;
    this.sweepId = sweepId;
  }

  /**
   * The sweep's plan on the stream {@code source} makes; validated before anything starts.
   *
   * @throws UserError for a grid the source cannot train (a budget beyond --epochs, a bad point)
   */
  static SweepPlan plan(
      SweepGrid grid, String sweepId, DataSource source, IngestOptions ingestOptions) {
    SweepPlan plan =
        SweepPlan.of(grid, sweepId, SweepStreams.ofSource(source, grid.resolvedSchedule()));
    if (ingestOptions.epochs() > 0 && source instanceof ImageSource images) {
      long streamed = ingestOptions.epochs() * images.trainSize();
      if (streamed < plan.budgetSamples()) {
        throw new UserError(
            "--epochs "
                + ingestOptions.epochs()
                + " streams "
                + streamed
                + " samples, fewer than the sweep's budget of "
                + plan.budgetSamples()
                + ": raise --epochs or leave it at 0 (forever)");
      }
    }
    return plan;
  }

  /** The stream's batch size: the grid's when it names one. */
  static IngestOptions withGridBatchSize(SweepGrid grid, IngestOptions options) {
    return grid.batchSize() == null
        ? options
        : new IngestOptions(
            grid.batchSize(), options.epochs(), options.seed(), options.maxLagBatches());
  }

  static PipelineSweep start(
      Services services,
      SweepPlan plan,
      DataSource source,
      IngestOptions ingestOptions,
      String host,
      int port,
      Path dataDir,
      int parallel) {
    SweepLog sweepLog = new SweepLog(services.kafka());
    Pipeline pipeline = null;
    try {
      SweepLog.Snapshot snapshot = sweepLog.read();
      SweepFold fold = snapshot.sweeps().get(plan.sweepId());
      if (fold == null) {
        fold = SweepCommand.define(sweepLog, plan);
      } else {
        log.info("Sweep {} exists: resuming it, with the grid's new points", plan.sweepId());
        SweepCommand.addPoints(sweepLog, fold, plan);
      }
      long followFrom = sweepLog.read().nextOffset();
      SweepRunner.chooseCpuKernels(fold);
      pipeline =
          Pipeline.startWithoutTrainers(
              services,
              source,
              ingestOptions,
              SweepTraining.fromJson(fold.training(), fold.sweepId())
                  .resolvedSchedule(fold.sweepId()),
              host,
              port,
              dataDir);
      SweepRunner runner =
          new SweepRunner(services.kafka(), services.store(), sweepLog, fold, parallel);
      runner.start(followFrom);
      return new PipelineSweep(pipeline, sweepLog, runner, plan.sweepId());
    } catch (RuntimeException e) {
      if (pipeline != null) {
        pipeline.close();
      }
      sweepLog.close();
      throw e;
    }
  }

  String sweepId() {
    return sweepId;
  }

  int port() {
    return pipeline.port();
  }

  /** Waits until every point trained its budget, or the sweep was stopped. */
  void awaitFinished() throws InterruptedException {
    runner.awaitFinished();
  }

  boolean stopped() {
    return runner.stopped();
  }

  /** Stops the points (final checkpoints) first, then the stages. */
  @Override
  public void close() {
    try {
      runner.close();
    } finally {
      pipeline.close();
      sweepLog.close();
    }
  }
}
