package dev.cardinal.core.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * A real single-node Kafka cluster in a child JVM ({@code kafka.Kafka server.properties}), for
 * tests that must kill the broker the way an operating system does ({@code kill -9}) and start it
 * again on the same port and log directory. Same broker settings as {@link EmbeddedKafka}; the
 * child runs on this JVM's own class path, its output goes to {@code kafka.log} beside the log
 * directory.
 */
public final class KafkaProcess extends LoopbackBroker {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  private final Path config;
  private final Path argFile;
  private final Path output;
  private final Thread reaper;
  private Process process;

  private KafkaProcess(Path logDir, Path config, Path argFile, Path output, int port) {
    super(logDir, port);
    this.config = config;
    this.argFile = argFile;
    this.output = output;
    // A test JVM that dies must not leave a broker behind.
    this.reaper = new Thread(this::kill, "kafka-process-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /**
   * Formats {@code logDir}, starts the broker and returns once it answers.
   *
   * @throws IllegalStateException when it does not start, with the tail of its output
   */
  public static KafkaProcess start(Path logDir) {
    Path dir = logDir.toAbsolutePath();
    Path home = dir.getParent();
    int port = Ports.free();
    int controllerPort = Ports.free();
    while (controllerPort == port) {
      controllerPort = Ports.free();
    }
    Properties props = EmbeddedKafka.brokerProperties(dir, port, controllerPort);
    try {
      Files.createDirectories(dir);
      EmbeddedKafka.format(dir, props);
      Path config = home.resolve("server.properties");
      try (OutputStream out = Files.newOutputStream(config)) {
        props.store(out, "broker run as a child process by a test");
      }
      // An argument file: the class path of a test JVM can exceed one argument's length limit.
      Path argFile = home.resolve("kafka.args");
      String classPath = System.getProperty("java.class.path");
      Files.writeString(
          argFile, "-cp \"" + classPath.replace("\\", "\\\\") + "\"\n", StandardCharsets.UTF_8);
      KafkaProcess broker = new KafkaProcess(dir, config, argFile, home.resolve("kafka.log"), port);
      broker.launch();
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare a Kafka broker in " + dir, e);
    }
  }

  /** Starts the broker again on the same port and log directory (after {@link #kill()}). */
  public synchronized void restart() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("the broker on port " + port() + " is still running");
    }
    launch();
  }

  private synchronized void launch() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(
            List.of(
                java,
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "@" + argFile,
                "kafka.Kafka",
                config.toString()));
    builder.redirectErrorStream(true);
    builder.redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + java, e);
    }
    awaitReady();
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    Map<String, Object> props =
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
            2_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
            3_000);
    try (Admin admin = Admin.create(props)) {
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "the Kafka broker on port "
                  + port()
                  + " exited with "
                  + process.exitValue()
                  + "; its output ends with:\n"
                  + tail());
        }
        try {
          admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
          return;
        } catch (ExecutionException | TimeoutException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "the Kafka broker on port "
                    + port()
                    + " did not answer within "
                    + READY_TIMEOUT
                    + "; its output ends with:\n"
                    + tail(),
                e);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while the broker started", e);
        }
      }
    }
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + output + ": " + e + ")";
    }
  }

  /** SIGKILL: no shutdown hook, no flush, no controlled shutdown. Waits until it is gone. */
  public synchronized void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down: the hook runs anyway.
    }
  }
}
