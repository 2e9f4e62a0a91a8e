package dev.cardinal.core.embedded;

import dev.cardinal.core.config.KafkaSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka cluster (KRaft, combined broker and controller) inside this JVM,
 * listening on 127.0.0.1 only. Its log directory keeps topics, records, committed offsets and the
 * cluster id across restarts: the storage is formatted only the first time.
 */
public final class EmbeddedKafka extends LoopbackBroker {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final String META_PROPERTIES = "meta.properties";
  private static final int NODE_ID = 1;

  private final KafkaRaftServer server;
  private boolean closed;

  private EmbeddedKafka(KafkaRaftServer server, Path logDir, int port) {
    super(logDir, port);
    this.server = server;
  }

  /**
   * Starts the broker, formatting {@code logDir} first if it holds no Kafka storage yet.
   *
   * @param port the client port on 127.0.0.1; 0 picks a free one
   * @throws IllegalStateException when the port is taken or the directory cannot be used
   */
  public static EmbeddedKafka start(Path logDir, int port) {
    Path dir = logDir.toAbsolutePath();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot create the Kafka data directory "
              + dir
              + ": "
              + e
              + " (choose another --data-dir)",
          e);
    }
    int clientPort = port == 0 ? Ports.free() : Ports.requireFree(port, "Kafka", "--kafka-port");
    // The controller port is internal: a new free one each start is fine, the voter set is
    // static and read from the config on every start.
    int controllerPort = Ports.free();
    while (controllerPort == clientPort) {
      // A port just released is often handed out again at once.
      controllerPort = Ports.free();
    }
    Properties props = brokerProperties(dir, clientPort, controllerPort);
    long started = System.nanoTime();
    if (!Files.exists(dir.resolve(META_PROPERTIES))) {
      format(dir, props);
    }
    KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    try {
      server.startup();
    } catch (RuntimeException e) {
      shutdownQuietly(server);
      if (causedBy(e, BindException.class)) {
        throw new IllegalStateException(
            "port "
                + clientPort
                + " on 127.0.0.1 was taken while the embedded Kafka broker started: choose"
                + " another with --kafka-port (0 picks a free one)",
            e);
      }
      throw new IllegalStateException(
          "the embedded Kafka broker in " + dir + " failed to start: " + e, e);
    }
    log.debug(
        "Embedded Kafka on 127.0.0.1:{} ({}) started in {} ms",
        clientPort,
        dir,
        (System.nanoTime() - started) / 1_000_000);
    return new EmbeddedKafka(server, dir, clientPort);
  }

  static Properties brokerProperties(Path dir, int clientPort, int controllerPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", dir.toString());
    // One node: every internal topic has one replica, or groups and transactions hang.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "8");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // The default 128 MiB dedupe buffer would sit in this JVM's heap.
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
    // Room for a full record batch of the largest record Cardinal produces.
    p.put("message.max.bytes", String.valueOf(KafkaSettings.MAX_RECORD_BYTES + 1024 * 1024));
    p.put("num.partitions", "1");
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "4");
    p.put("auto.create.topics.enable", "true");
    return p;
  }

  static void format(Path dir, Properties props) {
    Path config = null;
    try {
      config = Files.createTempFile("cardinal-kafka-format", ".properties");
      try (OutputStream out = Files.newOutputStream(config)) {
        props.store(out, "format of the embedded Kafka storage");
      }
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      int rc;
      try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
        String clusterId = Uuid.randomUuid().toString();
        rc =
            StorageTool.execute(
                new String[] {
                  "format", "-t", clusterId, "-c", config.toString(), "--ignore-formatted"
                },
                print);
      }
      String said = output.toString(StandardCharsets.UTF_8).trim();
      if (rc != 0) {
        throw new IllegalStateException(
            "formatting the Kafka storage in " + dir + " failed (" + rc + "): " + said);
      }
      log.debug("Formatted Kafka storage: {}", said);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Kafka format config", e);
    } finally {
      if (config != null) {
        try {
          Files.deleteIfExists(config);
        } catch (IOException e) {
          // A leftover temp file is harmless.
        }
      }
    }
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static void shutdownQuietly(KafkaRaftServer server) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException ignored) {
      // Startup already failed; that error is the one to report.
    }
  }

  /** Stops the broker; its data stays in the log directory. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long started = System.nanoTime();
    server.shutdown();
    server.awaitShutdown();
    log.debug(
        "Embedded Kafka on {} stopped in {} ms",
        bootstrapServers(),
        (System.nanoTime() - started) / 1_000_000);
  }
}
