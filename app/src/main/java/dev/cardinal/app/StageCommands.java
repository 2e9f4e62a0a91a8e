package dev.cardinal.app;

import dev.cardinal.augment.AugmentStage;
import dev.cardinal.core.Resources;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.schedule.ScheduleException;
import dev.cardinal.evaluator.EvaluatorStage;
import dev.cardinal.ingest.DataSource;
import dev.cardinal.ingest.IngestStage;
import dev.cardinal.registry.AdminToken;
import dev.cardinal.registry.RegistryConfig;
import dev.cardinal.registry.RegistryServer;
import dev.cardinal.trainer.TrainerConfig;
import dev.cardinal.trainer.TrainerStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * One stage per process, for docker-compose and scale-out: start more instances of a stage and they
 * share the work through their consumer group.
 */
final class StageCommands {
  private static final Logger log = LoggerFactory.getLogger(StageCommands.class);

  private StageCommands() {}

  /** Runs {@code body} until SIGTERM, then {@code stop}. */
  static int untilStopped(String stage, Runnable stop) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.run();
                  stopped.countDown();
                },
                stage + "-shutdown"));
    log.info("{} running (Ctrl-C stops)", stage);
    stopped.await();
    return 0;
  }

  /** Runs until SIGTERM, then closes what the stage started, in order. */
  static int untilStopped(String stage, AutoCloseable... started) throws InterruptedException {
    return untilStopped(
        stage,
        () -> {
          try {
            Resources.close(started);
          } catch (IllegalStateException e) {
            log.warn("{}: stopping failed", stage, e);
          }
        });
  }

  @Command(
      name = "ingest",
      description = "Stream a dataset into cardinal.images.train and cardinal.images.eval.")
  static final class Ingest implements Callable<Integer> {
    @Mixin ConnectionOptions connection;
    @Mixin SourceOptions source;

    @Override
    public Integer call() throws Exception {
      DataSource imageSource = source.dataSource();
      var options = source.ingestOptions();
      Services services = Services.connectKafka(connection);
      IngestStage stage = new IngestStage(services.kafka(), imageSource, options);
      Thread thread = new Thread(stage, "ingest");
      thread.start();
      return untilStopped(
          "ingest",
          () -> {
            stage.stop();
            join(thread);
            services.close();
          });
    }
  }

  @Command(
      name = "augment",
      description = "Augment cardinal.images.train into cardinal.images.augmented.")
  static final class Augment implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Option(
        names = "--seed",
        defaultValue = "42",
        description = "Augmentation seed. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(
        names = "--max-lag-batches",
        defaultValue = "200",
        description =
            "Pause while the fastest trainer is this many batches behind; 0 = never. Default: ${DEFAULT-VALUE}")
    long maxLagBatches;

    @Option(
        names = "--schedule",
        description =
            "Schedule preset (fixed, fixed-<px>, progressive, resnet-rs) or YAML/JSON file;"
                + " unset: the input's native size with crop and flip only")
    String schedule;

    @Option(
        names = "--rgb",
        defaultValue = "false",
        description = "Turn grey images into RGB. Default: ${DEFAULT-VALUE}")
    boolean rgb;

    @Option(
        names = "--workers",
        defaultValue = "0",
        description = "Augmenting threads; 0 = one per core. Default: ${DEFAULT-VALUE}")
    int workers;

    @Override
    public Integer call() throws Exception {
      Schedule resolved;
      try {
        resolved = schedule == null ? null : Schedule.resolve(schedule);
      } catch (ScheduleException e) {
        System.err.println("augment: " + e.getMessage());
        return 2;
      }
      Services services = Services.connectKafka(connection);
      AugmentStage stage =
          new AugmentStage(
              services.kafka(),
              AugmentStage.Options.defaults()
                  .withSeed(seed)
                  .withMaxLagBatches(maxLagBatches)
                  .withSchedule(resolved)
                  .withRgb(rgb)
                  .withWorkers(workers));
      stage.start();
      return untilStopped("augment", stage, services);
    }
  }

  @Command(
      name = "train",
      description = "Train one run on cardinal.images.augmented, checkpointing to S3.")
  static final class Train implements Callable<Integer> {
    @Mixin ConnectionOptions connection;
    @Mixin TrainOptions train;

    @Override
    public Integer call() throws Exception {
      // Every run is validated before anything is consumed.
      List<TrainerConfig> configs = train.trainerConfigs();
      Services services = Services.connectExternal(connection);
      List<TrainerStage> stages = new ArrayList<>();
      for (var config : configs) {
        TrainerStage stage = new TrainerStage(config, services.kafka(), services.store());
        Pipeline.daemon(stage, "trainer-" + config.runId());
        stages.add(stage);
      }
      return untilStopped(
          "trainer",
          () -> {
            for (TrainerStage stage : stages) {
              try {
                stage.stop();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            services.close();
          });
    }
  }

  @Command(
      name = "evaluate",
      description = "Score every checkpoint announced on cardinal.checkpoints.")
  static final class Evaluate implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
      Services services = Services.connectExternal(connection);
      EvaluatorStage stage = new EvaluatorStage(services.kafka(), services.store());
      stage.start();
      return untilStopped("evaluator", stage, services);
    }
  }

  @Command(name = "registry", description = "Serve the checkpoint registry, REST API and live UI.")
  static final class Registry implements Callable<Integer> {
    @Mixin ConnectionOptions connection;
    @Mixin WebOptions web;

    @Mixin DataDirOption data;

    @Option(
        names = "--database",
        defaultValue = "${env:CARDINAL_REGISTRY_DATABASE}",
        description =
            "SQLite file, or a JDBC URL such as jdbc:postgresql://host/db?user=u&password=p. Env"
                + " CARDINAL_REGISTRY_DATABASE. Default: <data-dir>/registry.db")
    String database;

    @Option(
        names = "--rebuild",
        defaultValue = "false",
        description =
            "Empty the store and replay cardinal.checkpoints and cardinal.evaluations from the"
                + " beginning (aliases and tags are cleared too). Default: ${DEFAULT-VALUE}")
    boolean rebuild;

    @Option(
        names = "--admin-token",
        defaultValue = "${env:CARDINAL_REGISTRY_TOKEN}",
        description =
            "Bearer token for alias and tag changes. Env CARDINAL_REGISTRY_TOKEN. Default: generated"
                + " at first start, printed once, kept in <data-dir>/"
                + AdminToken.FILE_NAME,
        showDefaultValue = picocli.CommandLine.Help.Visibility.NEVER)
    String adminToken;

    @Override
    public Integer call() throws Exception {
      Path dataDir = data.dataDir;
      Files.createDirectories(dataDir);
      AdminToken token;
      try {
        token = AdminToken.resolve(adminToken, dataDir);
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new UserError(e.getMessage(), e);
      }
      token.printIfGenerated(System.err);
      Services services =
          connection.hasS3()
              ? Services.connectExternal(connection)
              : Services.connectKafka(connection);
      String db =
          database == null || database.isBlank()
              ? dataDir.resolve("registry.db").toString()
              : database;
      RegistryServer server =
          new RegistryServer(
              RegistryConfig.of(services.kafka(), db)
                  .withAddress(web.host, web.port)
                  .withCheckpointStore(services.store())
                  .withRebuild(rebuild)
                  .withAdminToken(token.value()));
      try {
        server.start();
      } catch (IllegalStateException e) {
        services.close();
        throw new UserError(e.getMessage(), e);
      }
      return untilStopped("registry", server, services);
    }
  }

  static void join(Thread thread) {
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
