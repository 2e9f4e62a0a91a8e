package dev.cardinal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.testing.TestServices;
import org.junit.jupiter.api.Test;

/** Issue 13 item 7: database credentials never reach a message, a log line or a config print. */
class RedactTest {
  private static final String PASSWORD = "hunter2-Secret";

  @Test
  void passwordsInJdbcUrlsAreMasked() {
    assertThat(Redact.credentials("jdbc:postgresql://db:5432/reg?user=u&password=" + PASSWORD))
        .isEqualTo("jdbc:postgresql://db:5432/reg?user=u&password=***");
    assertThat(Redact.credentials("jdbc:postgresql://u:" + PASSWORD + "@db/reg?ssl=true"))
        .isEqualTo("jdbc:postgresql://u:***@db/reg?ssl=true");
    assertThat(Redact.credentials("jdbc:sqlserver://db;user=u;Password=" + PASSWORD + ";x=1"))
        .isEqualTo("jdbc:sqlserver://db;user=u;Password=***;x=1");
    assertThat(
            Redact.credentials(
                "failed: jdbc:postgresql://db/reg?sslpassword=" + PASSWORD + "&user=u (retry)"))
        .doesNotContain(PASSWORD)
        .contains("user=u")
        .contains("(retry)");
    assertThat(Redact.credentials("jdbc:sqlite:/data/registry.db"))
        .isEqualTo("jdbc:sqlite:/data/registry.db");
    assertThat(Redact.credentials(null)).isNull();
  }

  @Test
  void registryConfigPrintsTheDatabaseWithoutItsPassword() {
    String url = "jdbc:postgresql://db/reg?user=u&password=" + PASSWORD;
    RegistryConfig config = RegistryConfig.of(TestServices.kafka(), url);
    assertThat(config.toString()).contains("jdbc:postgresql://db/reg").doesNotContain(PASSWORD);
  }

  @Test
  void aDatabaseThatCannotBeOpenedIsNamedWithoutItsPassword() {
    // Port 1 on loopback refuses at once: a real driver failure that quotes the URL it was given.
    String url = "jdbc:postgresql://127.0.0.1:1/reg?user=u&password=" + PASSWORD;
    assertThatThrownBy(() -> CheckpointDb.open(url, false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("jdbc:postgresql://127.0.0.1:1/reg")
        .hasMessageContaining("--database")
        .hasMessageNotContaining(PASSWORD);
  }
}
