package dev.cardinal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cardinal.core.testing.TestServices;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class AdminTokenTest {
  @TempDir Path dir;

  @Test
  void generatedOnceKeptPrivatelyAndReusedAfterARestart() throws Exception {
    AdminToken first = AdminToken.resolve(null, dir);
    assertThat(first.generated()).isTrue();
    assertThat(first.value()).hasSizeGreaterThanOrEqualTo(40);
    assertThat(Files.getPosixFilePermissions(first.file()))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    AdminToken again = AdminToken.resolve("  ", dir);
    assertThat(again.generated()).isFalse();
    assertThat(again.value()).isEqualTo(first.value());
    assertThat(again.toString()).doesNotContain(first.value());
  }

  @Test
  void givenTokenWinsAndIsNotWritten() {
    String strong = "operator-given-token-0123456789abcdef";
    AdminToken given = AdminToken.resolve(strong, dir);
    assertThat(given.value()).isEqualTo(strong);
    assertThat(given.generated()).isFalse();
    assertThat(Files.exists(dir.resolve(AdminToken.FILE_NAME))).isFalse();
  }

  @Test
  void operatorTokensShorterThan32CharactersAreRefusedSayingWhatToDo() {
    for (String weak : List.of("s3cret", "x".repeat(AdminToken.MIN_LENGTH - 1))) {
      assertThatThrownBy(() -> AdminToken.resolve(weak, dir))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(weak.length() + " characters")
          .hasMessageContaining("at least 32")
          .hasMessageContaining("--admin-token")
          .hasMessageNotContaining(weak);
      assertThatThrownBy(() -> RegistryConfig.of(TestServices.kafka(), "r.db").withAdminToken(weak))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("at least 32");
    }
    assertThat(AdminToken.resolve("y".repeat(32), dir).value()).hasSize(32);
    assertThat(Files.exists(dir.resolve(AdminToken.FILE_NAME))).isFalse();
  }

  @Test
  void aGeneratedTokenIsPrintedToTheTerminalOnceAndNeverLogged() throws Exception {
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logged.start();
    root.addAppender(logged);
    ByteArrayOutputStream terminal = new ByteArrayOutputStream();
    String token;
    try {
      AdminToken first = AdminToken.resolve(null, dir);
      first.printIfGenerated(new PrintStream(terminal, true, StandardCharsets.UTF_8));
      token = first.value();
      AdminToken.resolve(null, dir)
          .printIfGenerated(new PrintStream(terminal, true, StandardCharsets.UTF_8));
    } finally {
      root.detachAppender(logged);
    }
    String printed = terminal.toString(StandardCharsets.UTF_8);
    assertThat(printed.lines().toList())
        .as("printed once, on the first start only")
        .hasSize(1)
        .allSatisfy(line -> assertThat(line).contains(token).contains(AdminToken.FILE_NAME));
    assertThat(Files.readString(dir.resolve(AdminToken.FILE_NAME)).strip()).isEqualTo(token);
    assertThat(logged.list).noneSatisfy(e -> assertThat(e.getFormattedMessage()).contains(token));
  }
}
