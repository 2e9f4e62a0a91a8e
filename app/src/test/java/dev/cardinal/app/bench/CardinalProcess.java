package dev.cardinal.app.bench;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./cardinal run} started as a user starts it, on free loopback ports and its own data
 * directory, for the benches that watch the whole pipeline from outside.
 */
record CardinalProcess(int port, int kafkaPort, Path log, Process process)
    implements AutoCloseable {

  /** Starts {@code ./cardinal run <runArgs>} with its state under {@code dir}. */
  static CardinalProcess start(Path dir, List<String> runArgs) throws IOException {
    int port = freePort();
    int kafkaPort = freePort();
    List<String> command = new ArrayList<>(List.of("./cardinal", "run"));
    command.addAll(
        List.of(
            "--data-dir",
            dir.resolve("data").toString(),
            "--port",
            Integer.toString(port),
            "--kafka-port",
            Integer.toString(kafkaPort),
            "--s3-port",
            Integer.toString(freePort())));
    command.addAll(runArgs);
    Path log = dir.resolve("cardinal-run.log");
    System.out.println("$ " + String.join(" ", command) + "   (log: " + log + ")");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .directory(new File("."))
            .start();
    return new CardinalProcess(port, kafkaPort, log, process);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Ctrl-C as a user would: each trainer saves a final checkpoint on the way out. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      process.waitFor(2, TimeUnit.MINUTES);
      process.destroyForcibly();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
