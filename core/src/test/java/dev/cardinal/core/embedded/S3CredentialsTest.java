package dev.cardinal.core.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class S3CredentialsTest {
  @TempDir Path dir;

  @Test
  void generatedOncePerDataDirectoryKeptPrivatelyAndReused() throws Exception {
    S3Credentials first = S3Credentials.resolve(null, " ", dir);
    assertThat(first.generated()).isTrue();
    assertThat(first.accessKey()).isNotEqualTo("cardinal").hasSizeGreaterThanOrEqualTo(16);
    assertThat(first.secretKey()).isNotEqualTo("cardinal-secret").hasSizeGreaterThanOrEqualTo(40);
    assertThat(Files.getPosixFilePermissions(first.file()))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    S3Credentials again = S3Credentials.resolve("", null, dir);
    assertThat(again.generated()).isFalse();
    assertThat(again.accessKey()).isEqualTo(first.accessKey());
    assertThat(again.secretKey()).isEqualTo(first.secretKey());
    assertThat(again.toString()).doesNotContain(first.secretKey());

    // Another data directory gets its own pair.
    S3Credentials other = S3Credentials.resolve(null, null, dir.resolve("other"));
    assertThat(other.secretKey()).isNotEqualTo(first.secretKey());
  }

  @Test
  void givenKeysWinAndNothingIsWritten() {
    S3Credentials given = S3Credentials.resolve("op-key", "op-secret", dir);
    assertThat(given.accessKey()).isEqualTo("op-key");
    assertThat(given.secretKey()).isEqualTo("op-secret");
    assertThat(given.file()).isNull();
    assertThat(Files.exists(dir.resolve(S3Credentials.FILE_NAME))).isFalse();
  }

  @Test
  void halfAPairIsRefusedSayingWhatToGive() {
    assertThatThrownBy(() -> S3Credentials.resolve("op-key", null, dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--s3-secret-key")
        .hasMessageContaining("CARDINAL_S3_SECRET_KEY");
  }
}
