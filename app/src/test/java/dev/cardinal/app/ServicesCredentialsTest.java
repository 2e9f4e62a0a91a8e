package dev.cardinal.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cardinal.core.embedded.S3Credentials;
import dev.cardinal.core.testing.TestServices;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The embedded S3 server has no documented default keys and never logs the ones it uses. */
class ServicesCredentialsTest {
  @TempDir Path dataDir;

  private static ConnectionOptions connection(String accessKey, String secretKey) {
    ConnectionOptions connection = new ConnectionOptions();
    connection.kafka = TestServices.kafka().bootstrapServers();
    connection.s3AccessKey = accessKey;
    connection.s3SecretKey = secretKey;
    connection.s3Bucket = "cardinal";
    return connection;
  }

  @Test
  void theEmbeddedServerSignsWithAPairOfItsDataDirectoryAndLogsNoKey() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    root.addAppender(logged);
    String secret;
    try {
      try (Services services = Services.connect(connection(null, null), dataDir, 0, 0, true)) {
        secret = services.store().settings().secretKey();
        assertThat(services.store().settings().accessKey()).isNotEqualTo("cardinal");
        assertThat(secret).isNotEqualTo("cardinal-secret");
        services.store().putBytes("probe", new byte[] {1});
      }
      // A restart on the same directory signs with the same pair and reads what it stored.
      try (Services services = Services.connect(connection(null, null), dataDir, 0, 0, true)) {
        assertThat(services.store().settings().secretKey()).isEqualTo(secret);
        assertThat(services.store().getBytes("probe")).containsExactly(1);
      }
    } finally {
      root.detachAppender(logged);
    }
    S3Credentials kept = S3Credentials.resolve(null, null, dataDir);
    assertThat(kept.secretKey()).isEqualTo(secret);
    assertThat(logged.list)
        .isNotEmpty()
        .noneSatisfy(e -> assertThat(e.getFormattedMessage()).contains(secret))
        .noneSatisfy(e -> assertThat(e.getFormattedMessage()).contains(kept.accessKey()));
  }

  @Test
  void keysFromTheEnvironmentOrFlagsStillWork() {
    try (Services services =
        Services.connect(connection("env-key", "env-secret-key"), dataDir, 0, 0, true)) {
      assertThat(services.store().settings().accessKey()).isEqualTo("env-key");
      services.store().putBytes("probe", new byte[] {2});
      assertThat(services.store().getBytes("probe")).containsExactly(2);
    }
  }
}
