package dev.cardinal.app;

import dev.cardinal.ingest.DataSource;
import dev.cardinal.ingest.IngestOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Everything in one JVM: embedded Kafka and S3 unless given, every stage, and the web UI. */
@Command(
    name = "run",
    description =
        "Run every stage in one JVM, with an embedded Kafka broker and S3 server unless --kafka /"
            + " --s3-endpoint point elsewhere.")
public final class RunCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  @Mixin ConnectionOptions connection;
  @Mixin SourceOptions source;
  @Mixin TrainOptions train;
  @Mixin WebOptions web;
  @Mixin DataDirOption data;
  @Mixin SweepCommand.ParallelOption parallel;

  @Option(
      names = "--kafka-port",
      defaultValue = "9092",
      description =
          "Port of the embedded Kafka broker (0 = any free port). Default: ${DEFAULT-VALUE}")
  int kafkaPort;

  @Option(
      names = "--s3-port",
      defaultValue = "9000",
      description = "Port of the embedded S3 server (0 = any free port). Default: ${DEFAULT-VALUE}")
  int s3Port;

  @Option(
      names = "--sweep",
      paramLabel = "GRID",
      description =
          "Train a scaling study instead of --run/--model: one run per point of this grid file"
              + " (YAML/JSON, see 'cardinal sweep'), all on this pipeline's stream. A --sweep-name"
              + " that exists is resumed and extended with the grid's new points.")
  Path sweepGrid;

  @Option(
      names = "--sweep-name",
      description = "Sweep id with --sweep. Default: sweep-<UTC date-time>")
  String sweepName;

  /** Counted down once Ctrl-C has stopped everything. */
  private final CountDownLatch stopped = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    if (sweepGrid != null) {
      return runSweep();
    }
    DataSource imageSource = source.dataSource();
    var ingestOptions = source.ingestOptions();
    var trainerConfigs = train.trainerConfigs();
    Pipeline pipeline =
        startUntilCtrlC(
            imageSource,
            services ->
                Pipeline.start(
                    services,
                    imageSource,
                    ingestOptions,
                    trainerConfigs,
                    web.host,
                    web.port,
                    data.dataDir));
    log.info(
        "Cardinal is running: UI and API at http://localhost:{}/ (Ctrl-C stops)", pipeline.port());
    stopped.await();
    return 0;
  }

  /** The pipeline with a sweep's points as its trainers; it serves the UI until Ctrl-C. */
  private int runSweep() throws Exception {
    if (!train.runs.isEmpty() || !train.models.isEmpty()) {
      throw new UserError(
          "--sweep trains the grid's points: leave out --run and --model (the grid names presets)");
    }
    int points = parallel.require();
    SweepGrid grid = SweepGrid.load(sweepGrid, Map.of(), Map.of());
    String sweepId =
        SweepPlan.requireSweepId(sweepName == null ? SweepCommand.defaultName() : sweepName);
    DataSource imageSource = source.dataSource();
    IngestOptions ingestOptions = PipelineSweep.withGridBatchSize(grid, source.ingestOptions());
    // Every point is built and measured before anything starts: a bad grid fails here.
    SweepPlan plan = PipelineSweep.plan(grid, sweepId, imageSource, ingestOptions);
    PipelineSweep sweep =
        startUntilCtrlC(
            imageSource,
            services ->
                PipelineSweep.start(
                    services,
                    plan,
                    imageSource,
                    ingestOptions,
                    web.host,
                    web.port,
                    data.dataDir,
                    points));
    log.info(
        "Cardinal is running sweep {}: UI and API at http://localhost:{}/ (Ctrl-C stops)",
        sweepId,
        sweep.port());
    sweep.awaitFinished();
    log.info(
        "Sweep {} {}: 'cardinal sweep report {}' prints its table; the UI stays up (Ctrl-C stops)",
        sweepId,
        sweep.stopped() ? "stopped" : "done",
        sweepId);
    stopped.await();
    return 0;
  }

  /**
   * Connects Kafka and S3 (embedded unless given) and starts {@code start} on them, reading {@code
   * imageSource}; Ctrl-C closes it, then the services, and counts {@link #stopped} down.
   */
  private <T extends AutoCloseable> T startUntilCtrlC(
      DataSource imageSource, Function<Services, T> start) throws IOException {
    Path dataDir = data.dataDir;
    Files.createDirectories(dataDir);
    log.info("Source: {}", imageSource.describe());
    Services services = Services.connect(connection, dataDir, kafkaPort, s3Port, true);
    T running;
    try {
      running = start.apply(services);
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("Stopping Cardinal");
                  try {
                    running.close();
                  } catch (Exception e) {
                    log.warn("Error while stopping: {}", e.toString());
                  }
                  services.close();
                  stopped.countDown();
                  log.info("Cardinal stopped");
                },
                "cardinal-shutdown"));
    return running;
  }
}
