package dev.cardinal.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    AdminToken given = AdminToken.resolve("s3cret", dir);
    assertThat(given.value()).isEqualTo("s3cret");
    assertThat(given.generated()).isFalse();
    assertThat(Files.exists(dir.resolve(AdminToken.FILE_NAME))).isFalse();
  }
}
