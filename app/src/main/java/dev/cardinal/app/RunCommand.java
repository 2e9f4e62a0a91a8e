package dev.cardinal.app;

import dev.cardinal.ingest.DataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Everything in one JVM: embedded Kafka and S3 unless given, every stage, and the web UI. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description =
        "Run every stage in one JVM, with an embedded Kafka broker and S3 server unless --kafka /"
            + " --s3-endpoint point elsewhere.")
public final class RunCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  @Mixin ConnectionOptions connection;
  @Mixin SourceOptions source;
  @Mixin TrainOptions train;
  @Mixin WebOptions web;

  @Option(
      names = "--data-dir",
      defaultValue = "${env:CARDINAL_DATA_DIR:-./cardinal-data}",
      description =
          "Where embedded Kafka, S3 and the registry keep their state. Default: ${DEFAULT-VALUE}")
  Path dataDir;

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

  @Override
  public Integer call() throws Exception {
    DataSource imageSource = source.dataSource();
    var ingestOptions = source.ingestOptions();
    var trainerConfigs = train.trainerConfigs();
    Files.createDirectories(dataDir);
    log.info("Source: {}", imageSource.describe());
    CountDownLatch stopped = new CountDownLatch(1);
    Services services = Services.connect(connection, dataDir, kafkaPort, s3Port, true);
    Pipeline pipeline;
    try {
      pipeline =
          Pipeline.start(
              services, imageSource, ingestOptions, trainerConfigs, web.host, web.port, dataDir);
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("Stopping Cardinal");
                  pipeline.close();
                  services.close();
                  stopped.countDown();
                  log.info("Cardinal stopped");
                },
                "cardinal-shutdown"));
    log.info(
        "Cardinal is running: UI and API at http://localhost:{}/ (Ctrl-C stops)", pipeline.port());
    stopped.await();
    return 0;
  }
}
