package dev.cardinal.app;

import dev.cardinal.augment.AugmentStage;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.evaluator.EvaluatorStage;
import dev.cardinal.ingest.DataSource;
import dev.cardinal.ingest.IngestOptions;
import dev.cardinal.ingest.IngestStage;
import dev.cardinal.registry.AdminToken;
import dev.cardinal.registry.RegistryConfig;
import dev.cardinal.registry.RegistryServer;
import dev.cardinal.trainer.EngineThreads;
import dev.cardinal.trainer.TrainerConfig;
import dev.cardinal.trainer.TrainerStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every stage of Cardinal in one JVM, connected only through Kafka and S3 exactly as when they run
 * as separate processes.
 */
public final class Pipeline implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

  private final Services services;
  private RegistryServer registry;
  private EvaluatorStage evaluator;
  private AugmentStage augment;
  private IngestStage ingest;
  private Thread ingestThread;
  private final List<TrainerStage> trainers = new ArrayList<>();
  private final List<Thread> trainerThreads = new ArrayList<>();

  private Pipeline(Services services) {
    this.services = services;
  }

  /**
   * Starts registry, evaluator, augment, ingest and one trainer per run on the given services.
   *
   * @param trainerConfigs the runs to train side by side on the one augmented stream; they share
   *     one schedule (augment produces one stream), so all must carry the same one
   * @param registryHost address the web server binds
   */
  public static Pipeline start(
      Services services,
      DataSource source,
      IngestOptions ingestOptions,
      List<TrainerConfig> trainerConfigs,
      String registryHost,
      int port,
      Path dataDir) {
    if (trainerConfigs.isEmpty()) {
      throw new IllegalArgumentException("a pipeline needs at least one run to train");
    }
    Schedule schedule = trainerConfigs.get(0).schedule();
    for (TrainerConfig config : trainerConfigs) {
      if (!Objects.equals(config.schedule(), schedule)) {
        throw new IllegalArgumentException(
            "runs "
                + trainerConfigs.get(0).runId()
                + " and "
                + config.runId()
                + " have different schedules, but augment produces one stream for both");
      }
    }
    return started(
        services,
        trainerConfigs,
        pipeline ->
            pipeline.startStages(
                source, ingestOptions, schedule, trainerConfigs, registryHost, port, dataDir));
  }

  /**
   * Every stage but the trainers, for runs that a sweep starts and ends itself ({@link
   * SweepRunner}); augment produces {@code schedule}'s stream (null: native size).
   */
  public static Pipeline startWithoutTrainers(
      Services services,
      DataSource source,
      IngestOptions ingestOptions,
      Schedule schedule,
      String registryHost,
      int port,
      Path dataDir) {
    return started(
        services,
        List.of(),
        pipeline ->
            pipeline.startStages(
                source, ingestOptions, schedule, List.of(), registryHost, port, dataDir));
  }

  /**
   * A pipeline whose stages {@code stages} started, {@code toTrain} its runs; one that fails closes
   * what it started.
   */
  private static Pipeline started(
      Services services, List<TrainerConfig> toTrain, Consumer<Pipeline> stages) {
    // Before the trainer and evaluator start the engine, which reads its threads once per JVM, and
    // before either runs a convolution, which fixes oneDNN's kernels for the process.
    EngineThreads.configureForThisMachine();
    TrainerStage.chooseCpuKernels(toTrain);
    Pipeline pipeline = new Pipeline(services);
    try {
      stages.accept(pipeline);
      return pipeline;
    } catch (RuntimeException e) {
      pipeline.close();
      throw e;
    }
  }

  private void startStages(
      DataSource source,
      IngestOptions ingestOptions,
      Schedule schedule,
      List<TrainerConfig> trainerConfigs,
      String registryHost,
      int port,
      Path dataDir) {
    AdminToken token;
    try {
      token = AdminToken.resolve(System.getenv("CARDINAL_REGISTRY_TOKEN"), dataDir);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new UserError(e.getMessage(), e);
    }
    token.printIfGenerated(System.err);
    registry =
        new RegistryServer(
            RegistryConfig.of(services.kafka(), dataDir.resolve("registry.db").toString())
                .withAddress(registryHost, port)
                .withCheckpointStore(services.store())
                .withAdminToken(token.value()));
    try {
      registry.start();
    } catch (IllegalStateException e) {
      throw new UserError(e.getMessage(), e);
    }
    evaluator = new EvaluatorStage(services.kafka(), services.store());
    evaluator.start();
    // Augment produces what the runs' schedule says (resolution and regularization by epoch);
    // without one it keeps the images' native size with crop and flip.
    augment =
        new AugmentStage(
            services.kafka(),
            AugmentStage.Options.defaults()
                .withSeed(ingestOptions.seed())
                .withMaxLagBatches(ingestOptions.maxLagBatches())
                .withSchedule(schedule)
                .withWorkers(augmentWorkers()));
    augment.start();
    ingest = new IngestStage(services.kafka(), source, ingestOptions);
    ingestThread = daemon(ingest, "ingest");
    for (TrainerConfig config : trainerConfigs) {
      TrainerStage trainer = new TrainerStage(config, services.kafka(), services.store());
      trainers.add(trainer);
      trainerThreads.add(daemon(trainer, "trainer-" + config.runId()));
    }
  }

  /**
   * Augment's share of the cores when it runs beside a trainer: half of them. The trainer's PyTorch
   * threads take every core during a step (see EngineThreads), and augmenting small images needs
   * far less than a core per trainer; the lag gate keeps augment from running ahead anyway.
   */
  static int augmentWorkers() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  public int port() {
    return registry.port();
  }

  /**
   * Starts a stage on a daemon thread of its own; a stage that fails logs one error line naming it
   * and the other stages go on.
   */
  static Thread daemon(Runnable body, String name) {
    Thread thread =
        new Thread(
            () -> {
              try {
                body.run();
              } catch (RuntimeException e) {
                log.error("Stage {} failed: {}", name, e.getMessage(), e);
              }
            },
            name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  /** Stops the stages, sources first, so nothing accepted is left half-processed. */
  @Override
  public void close() {
    if (ingest != null) {
      ingest.stop();
      join(ingestThread);
    }
    for (TrainerStage trainer : trainers) {
      try {
        trainer.stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    trainerThreads.forEach(Pipeline::join);
    closeQuietly(augment);
    closeQuietly(evaluator);
    closeQuietly(registry);
  }

  private static void join(Thread thread) {
    if (thread != null) {
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      log.warn("Error while stopping {}: {}", closeable.getClass().getSimpleName(), e.toString());
    }
  }
}
