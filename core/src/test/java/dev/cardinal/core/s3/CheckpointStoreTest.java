package dev.cardinal.core.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.config.S3Settings;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.testing.TestServices;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CheckpointStoreTest {
  private static final int MIB = 1024 * 1024;

  private final S3Settings settings = TestServices.s3();
  private final CheckpointStore store = new CheckpointStore(settings);
  private final String run = TestServices.unique("run");

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void aMultipartStreamingPutReadsBackIdentical() throws Exception {
    String key = CheckpointStore.checkpointPrefix(run, 100) + "params";
    MessageDigest written = MessageDigest.getInstance("SHA-256");
    store.put(
        key,
        out -> {
          // 20 MiB in uneven writes: three multipart parts of 8 MiB at most.
          Random random = new Random(42);
          byte[] chunk = new byte[300_001];
          long left = 20L * MIB;
          while (left > 0) {
            int n = (int) Math.min(chunk.length, left);
            random.nextBytes(chunk);
            out.write(chunk, 0, n);
            written.update(chunk, 0, n);
            left -= n;
          }
        });

    MessageDigest read = MessageDigest.getInstance("SHA-256");
    long size = 0;
    try (InputStream in = store.get(key)) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        read.update(buffer, 0, n);
        size += n;
      }
    }
    assertThat(size).isEqualTo(20L * MIB);
    assertThat(read.digest()).isEqualTo(written.digest());
  }

  @Test
  void aWriterThatFailsMidStreamLeavesNoObject() {
    String small = CheckpointStore.checkpointPrefix(run, 1) + "params";
    String large = CheckpointStore.checkpointPrefix(run, 2) + "params";
    for (String key : List.of(small, large)) {
      // The large one fails after two whole parts were uploaded.
      long failAfter = key.equals(small) ? 100_000 : 17L * MIB;
      assertThatThrownBy(
              () ->
                  store.put(
                      key,
                      out -> {
                        byte[] chunk = new byte[64 * 1024];
                        for (long written = 0; written < failAfter; written += chunk.length) {
                          out.write(chunk);
                        }
                        throw new IOException("disk on fire");
                      }))
          .isInstanceOf(ObjectStoreException.class)
          .hasMessageContaining(key)
          .hasMessageContaining("disk on fire")
          .hasMessageContaining("nothing was stored")
          .hasMessageNotContaining("CARDINAL_S3_ENDPOINT");
      assertThat(store.exists(key)).as(key).isFalse();
    }
    assertThat(store.list(CheckpointStore.runPrefix(run))).isEmpty();
  }

  @Test
  void manifestsDecideWhichCheckpointsExist() {
    for (long step : List.of(100L, 200L, 300L)) {
      String prefix = CheckpointStore.checkpointPrefix(run, step);
      store.putBytes(prefix + "params", new byte[] {1, 2, 3});
      store.putBytes(prefix + "ema", new byte[] {4, 5});
      if (step != 200) {
        store.putManifest(manifest(step));
      }
    }
    assertThat(store.completeCheckpoints(run)).containsExactly(100L, 300L);
    assertThat(store.incompleteCheckpoints(run)).containsExactly(200L);
    assertThat(store.getManifest(run, 300)).isEqualTo(manifest(300));
    assertThat(store.list(CheckpointStore.checkpointPrefix(run, 100)))
        .containsExactly(
            CheckpointStore.checkpointPrefix(run, 100) + "ema",
            CheckpointStore.checkpointPrefix(run, 100) + "manifest.json",
            CheckpointStore.checkpointPrefix(run, 100) + "params");
    // Another run whose id starts the same is not mixed in.
    String otherRun = run + "0";
    store.putBytes(CheckpointStore.checkpointPrefix(otherRun, 1) + "params", new byte[] {9});
    store.putManifest(manifest(otherRun, 1));
    assertThat(store.completeCheckpoints(run)).containsExactly(100L, 300L);
    assertThat(store.completeCheckpoints(otherRun)).containsExactly(1L);

    store.deletePrefix(CheckpointStore.checkpointPrefix(run, 100));
    assertThat(store.completeCheckpoints(run)).containsExactly(300L);
    assertThat(store.list(CheckpointStore.checkpointPrefix(run, 100))).isEmpty();
    store.deletePrefix(CheckpointStore.runPrefix(run));
    assertThat(store.list(CheckpointStore.runPrefix(run))).isEmpty();
    assertThat(store.completeCheckpoints(otherRun)).containsExactly(1L);
  }

  @Test
  void aPresignedUrlServesTheObjectToAPlainHttpClient() throws Exception {
    String key = CheckpointStore.checkpointPrefix(run, 7) + "params";
    byte[] bytes = new byte[3 * MIB + 17];
    new Random(7).nextBytes(bytes);
    store.putBytes(key, bytes);

    String url = store.presignedGet(key, Duration.ofMinutes(5));
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<byte[]> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(bytes);

    // Without the signature the same object is refused.
    String unsigned = url.substring(0, url.indexOf('?'));
    HttpResponse<String> refused =
        http.send(
            HttpRequest.newBuilder(URI.create(unsigned)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).isEqualTo(403);
  }

  @Test
  void aMissingKeyIsNotFoundAndNamesTheKey() {
    String key = CheckpointStore.checkpointPrefix(run, 1) + "nothing-here";
    assertThatThrownBy(() -> store.getBytes(key))
        .isInstanceOfSatisfying(
            ObjectStoreException.class,
            e -> assertThat(e.isNotFound() && !e.isUnavailable()).isTrue())
        .hasMessageContaining(key);
    assertThatThrownBy(() -> store.getManifest(run, 1))
        .isInstanceOfSatisfying(
            ObjectStoreException.class, e -> assertThat(e.isNotFound()).isTrue());
    assertThat(store.exists(key)).isFalse();
    assertThat(store.list(CheckpointStore.runPrefix(run))).isEmpty();
  }

  @Test
  void anUnreachableEndpointSaysWhatToCheck() {
    S3Settings nowhere =
        new S3Settings("http://127.0.0.1:1", "k", "s", settings.bucket(), settings.region());
    try (CheckpointStore unreachable = new CheckpointStore(nowhere)) {
      assertThatThrownBy(() -> unreachable.getBytes("x"))
          .isInstanceOfSatisfying(
              ObjectStoreException.class,
              e -> {
                assertThat(e.isNotFound()).isFalse();
                // No answer at all: worth retrying once S3 is back, unlike an error answer.
                assertThat(e.isUnavailable()).isTrue();
              })
          .hasMessageContaining("127.0.0.1:1")
          .hasMessageContaining("CARDINAL_S3_ENDPOINT");
    }
  }

  @Test
  void putBytesAndGetBytesRoundTripSmallObjects() {
    String key = CheckpointStore.runPrefix(run) + "notes.txt";
    store.putBytes(key, "hello".getBytes(StandardCharsets.UTF_8));
    assertThat(new String(store.getBytes(key), StandardCharsets.UTF_8)).isEqualTo("hello");
    store.putBytes(key, new byte[0]);
    assertThat(store.getBytes(key)).isEmpty();
    store.delete(key);
    assertThat(store.exists(key)).isFalse();
  }

  private CheckpointManifest manifest(long step) {
    return manifest(run, step);
  }

  private static CheckpointManifest manifest(String runId, long step) {
    return new CheckpointManifest(
        CheckpointManifest.SCHEMA_VERSION,
        runId,
        step,
        1,
        step * 128,
        "resnet20_cifar",
        Json.MAPPER.createObjectNode().put("depth", 20),
        null,
        null,
        null,
        Map.of("cardinal.images.augmented-0", step),
        Map.of("loss", 1.0),
        "synthetic",
        "test",
        null,
        List.of("params", "ema"),
        1_700_000_000_000L,
        null,
        null);
  }
}
