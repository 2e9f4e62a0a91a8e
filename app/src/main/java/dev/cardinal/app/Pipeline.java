package dev.cardinal.app;

import dev.cardinal.augment.AugmentStage;
import dev.cardinal.evaluator.EvaluatorStage;
import dev.cardinal.ingest.DataSource;
import dev.cardinal.ingest.IngestOptions;
import dev.cardinal.ingest.IngestStage;
import dev.cardinal.registry.AdminToken;
import dev.cardinal.registry.RegistryConfig;
import dev.cardinal.registry.RegistryServer;
import dev.cardinal.trainer.TrainerConfig;
import dev.cardinal.trainer.TrainerStage;
import java.nio.file.Path;
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
  private TrainerStage trainer;
  private Thread trainerThread;

  private Pipeline(Services services) {
    this.services = services;
  }

  /**
   * Starts registry, evaluator, augment, ingest and trainer on the given services.
   *
   * @param registryHost address the web server binds
   */
  public static Pipeline start(
      Services services,
      DataSource source,
      IngestOptions ingestOptions,
      TrainerConfig trainerConfig,
      String registryHost,
      int port,
      Path dataDir) {
    Pipeline pipeline = new Pipeline(services);
    try {
      pipeline.startStages(source, ingestOptions, trainerConfig, registryHost, port, dataDir);
      return pipeline;
    } catch (RuntimeException e) {
      pipeline.close();
      throw e;
    }
  }

  private void startStages(
      DataSource source,
      IngestOptions ingestOptions,
      TrainerConfig trainerConfig,
      String registryHost,
      int port,
      Path dataDir) {
    AdminToken token;
    try {
      token = AdminToken.resolve(System.getenv("CARDINAL_REGISTRY_TOKEN"), dataDir);
    } catch (IllegalStateException e) {
      throw new UserError(e.getMessage(), e);
    }
    if (token.generated()) {
      log.info("Registry admin token (shown once; kept in {}): {}", token.file(), token.value());
    }
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
    augment =
        new AugmentStage(services.kafka(), ingestOptions.seed(), ingestOptions.maxLagBatches());
    augment.start();
    ingest = new IngestStage(services.kafka(), source, ingestOptions);
    ingestThread = daemon(ingest, "ingest");
    trainer = new TrainerStage(trainerConfig, services.kafka(), services.store());
    trainerThread = daemon(trainer, "trainer-" + trainerConfig.runId());
  }

  public int port() {
    return registry.port();
  }

  private static Thread daemon(Runnable body, String name) {
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
    if (trainer != null) {
      try {
        trainer.stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      join(trainerThread);
    }
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
