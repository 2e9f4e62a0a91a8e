package dev.cardinal.core.embedded;

import dev.cardinal.core.config.KafkaSettings;
import java.nio.file.Path;

/** A single Kafka broker on 127.0.0.1 (in this JVM or a child process) and where it keeps logs. */
public abstract class LoopbackBroker implements AutoCloseable {
  private final Path logDir;
  private final int port;

  LoopbackBroker(Path logDir, int port) {
    this.logDir = logDir;
    this.port = port;
  }

  /** The client port on 127.0.0.1. */
  public final int port() {
    return port;
  }

  /** The broker's log directory. */
  public final Path logDir() {
    return logDir;
  }

  /** {@code 127.0.0.1:PORT}, for {@link KafkaSettings#of(String)}. */
  public final String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public final KafkaSettings settings() {
    return KafkaSettings.of(bootstrapServers());
  }

  /** Stops the broker; no checked exception. */
  @Override
  public abstract void close();
}
