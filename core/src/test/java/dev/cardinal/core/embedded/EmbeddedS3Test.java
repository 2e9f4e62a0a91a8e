package dev.cardinal.core.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.config.S3Settings;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.s3.ObjectStoreException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedS3Test {

  @Test
  void objectsSurviveARestartAndWrongCredentialsAreRefused(@TempDir Path dir) {
    try (EmbeddedS3 s3 = EmbeddedS3.start(dir, 0, "key", "secret-key");
        CheckpointStore store = new CheckpointStore(s3.settings("bucket"))) {
      assertThat(s3.endpoint()).isEqualTo("http://127.0.0.1:" + s3.port());
      store.ensureBucket();
      store.putBytes("a/b.txt", "hello".getBytes(StandardCharsets.UTF_8));
    }
    try (EmbeddedS3 s3 = EmbeddedS3.start(dir, 0, "key", "secret-key");
        CheckpointStore store = new CheckpointStore(s3.settings("bucket"))) {
      assertThat(new String(store.getBytes("a/b.txt"), StandardCharsets.UTF_8)).isEqualTo("hello");
      try (CheckpointStore wrong =
          new CheckpointStore(
              new S3Settings(s3.endpoint(), "key", "not-the-secret", "bucket", null))) {
        assertThatThrownBy(() -> wrong.getBytes("a/b.txt"))
            .isInstanceOf(ObjectStoreException.class)
            .hasMessageContaining("a/b.txt");
      }
    }
  }

  @Test
  void aTakenPortIsReportedWithWhatToDo(@TempDir Path dir) throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();
      assertThatThrownBy(() -> EmbeddedS3.start(dir, port, "k", "s"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(String.valueOf(port))
          .hasMessageContaining("--s3-port");
    }
  }
}
