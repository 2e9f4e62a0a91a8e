package dev.cardinal.app;

import dev.cardinal.core.Resources;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.config.S3Settings;
import dev.cardinal.core.embedded.EmbeddedKafka;
import dev.cardinal.core.embedded.EmbeddedS3;
import dev.cardinal.core.embedded.S3Credentials;
import dev.cardinal.core.kafka.TopicAdmin;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.s3.ObjectStoreException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka and S3 for a process: the external ones when configured, otherwise real embedded servers (a
 * KRaft broker and S3Proxy) whose state lives under the data directory and survives restarts.
 */
public final class Services implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Services.class);

  private final Deque<AutoCloseable> owned = new ArrayDeque<>();
  private KafkaSettings kafka;
  private CheckpointStore store;

  public KafkaSettings kafka() {
    return kafka;
  }

  public CheckpointStore store() {
    return store;
  }

  /**
   * @param embeddedAllowed start embedded servers for what is not configured ('run'); else a
   *     missing endpoint is a user error
   */
  public static Services connect(
      ConnectionOptions connection,
      Path dataDir,
      int kafkaPort,
      int s3Port,
      boolean embeddedAllowed) {
    Services services = new Services();
    try {
      services.startKafka(connection, dataDir, kafkaPort, embeddedAllowed);
      services.startS3(connection, dataDir, s3Port, embeddedAllowed);
      return services;
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
  }

  /** The Kafka and S3 the options name; nothing embedded, so a missing one is a user error. */
  public static Services connectExternal(ConnectionOptions connection) {
    return connect(connection, null, 0, 0, false);
  }

  /** Kafka only, for stages that never touch S3. */
  public static Services connectKafka(ConnectionOptions connection) {
    Services services = new Services();
    services.startKafka(connection, null, 0, false);
    return services;
  }

  private void startKafka(ConnectionOptions connection, Path dataDir, int port, boolean embedded) {
    if (connection.hasKafka() || !embedded) {
      kafka = connection.kafkaSettings();
      log.info("Kafka: {}", kafka.bootstrapServers());
    } else {
      EmbeddedKafka broker;
      try {
        broker = EmbeddedKafka.start(dataDir.resolve("kafka"), port);
      } catch (IllegalStateException e) {
        throw new UserError(e.getMessage(), e);
      }
      owned.push(broker);
      kafka = broker.settings();
      log.info(
          "Kafka: embedded broker at {} (data in {})",
          kafka.bootstrapServers(),
          dataDir.resolve("kafka"));
    }
    try {
      TopicAdmin.ensureTopics(kafka);
    } catch (IllegalStateException e) {
      throw new UserError(e.getMessage(), e);
    }
  }

  private void startS3(ConnectionOptions connection, Path dataDir, int port, boolean embedded) {
    S3Settings settings;
    if (connection.hasS3() || !embedded) {
      settings = connection.s3Settings();
      log.info("S3: {} bucket {}", settings.endpoint(), settings.bucket());
    } else {
      S3Credentials credentials;
      EmbeddedS3 server;
      try {
        credentials =
            S3Credentials.resolve(connection.s3AccessKey, connection.s3SecretKey, dataDir);
        server =
            EmbeddedS3.start(
                dataDir.resolve("s3"), port, credentials.accessKey(), credentials.secretKey());
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new UserError(e.getMessage(), e);
      }
      owned.push(server);
      settings = connection.s3Settings(server.endpoint(), credentials);
      // The file's path, never the keys: logs are shipped and kept where keys must not be.
      log.info(
          "S3: embedded server at {} (data in {}, keys {})",
          server.endpoint(),
          dataDir.resolve("s3"),
          credentials.file() == null
              ? "given"
              : (credentials.generated() ? "generated into " : "from ") + credentials.file());
    }
    store = new CheckpointStore(settings);
    owned.push(store);
    try {
      store.ensureBucket();
    } catch (ObjectStoreException e) {
      throw new UserError(e.getMessage(), e);
    }
  }

  /** Stops what this process started, last started first. */
  @Override
  public void close() {
    try {
      Resources.closeLastFirst(owned);
    } catch (IllegalStateException e) {
      log.warn("Error while stopping the services: {}", e.toString());
    }
  }
}
