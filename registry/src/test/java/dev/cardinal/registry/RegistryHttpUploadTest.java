package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.json;
import static dev.cardinal.registry.Fixtures.registryConfig;
import static dev.cardinal.registry.Fixtures.runWithOneCheckpoint;
import static dev.cardinal.registry.Fixtures.send;
import static dev.cardinal.registry.Fixtures.started;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Resources;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13: no route takes a file upload, so no request (to a known route or not, authorized or
 * not) may leave a file on disk, and a body is bounded.
 */
class RegistryHttpUploadTest {
  private static final String TOKEN = "hardening-test-token-0123456789abcdef";

  /** Where BodyHandler writes uploads: relative to the process's working directory. */
  private static final Path VERTX_UPLOADS =
      Path.of(BodyHandler.DEFAULT_UPLOADS_DIRECTORY).toAbsolutePath();

  private static Set<String> uploadsBefore;
  private static Path dataDir;
  private static RegistryServer server;
  private static int port;
  private static String run;

  @BeforeAll
  static void start() throws Exception {
    // Taken before the server exists: the old body handler created the directory when the router
    // was built, and filled it on each upload.
    uploadsBefore = listing(VERTX_UPLOADS);
    RegistryConfig config = registryConfig("registry-uploads").withAdminToken(TOKEN);
    dataDir = Path.of(config.database()).getParent();
    server = started(config);
    port = server.port();
    run = runWithOneCheckpoint(server, "uploads");
  }

  @AfterAll
  static void stop() {
    Resources.close(server);
  }

  @Test
  void multipartUploadsToAnUnknownPathAre404AndLeaveNothingOnDisk() throws Exception {
    byte[] file = new byte[60 * 1024];
    new Random(13).nextBytes(file);
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> r = send(port, multipart().POST(multipartBody(file)), "/api/nope");
      assertThat(r.statusCode()).as("upload %d", i).isEqualTo(404);
      assertThat(json(r).get("error").asText()).contains("/api/nope");
    }
    // The alias route is the one that reads a body; an upload there, before authorization, must
    // not be stored either.
    HttpResponse<String> toAlias =
        send(port, multipart().PUT(multipartBody(file)), "/api/runs/" + run + "/aliases/x");
    assertThat(toAlias.statusCode()).isIn(401, 413);

    assertThat(listing(VERTX_UPLOADS)).as("files under %s", VERTX_UPLOADS).isEqualTo(uploadsBefore);
    assertThat(Files.exists(dataDir.resolve(BodyHandler.DEFAULT_UPLOADS_DIRECTORY))).isFalse();
  }

  @Test
  void aBodyOverTheLimitIs413() {
    HttpResponse<String> r =
        send(
            port,
            HttpRequest.newBuilder()
                .header("Authorization", "Bearer " + TOKEN)
                .PUT(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"step\": 100, \"pad\": \"" + "x".repeat(64 * 1024) + "\"}")),
            "/api/runs/" + run + "/aliases/big");
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(json(r).get("error").asText()).contains("too large");
  }

  private static final String BOUNDARY = "cardinal-test-boundary-7f3a";

  private static HttpRequest.Builder multipart() {
    return HttpRequest.newBuilder()
        .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY);
  }

  private static HttpRequest.BodyPublisher multipartBody(byte[] file) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    String head =
        "--"
            + BOUNDARY
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fill.bin\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n";
    body.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
    body.writeBytes(file);
    body.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return HttpRequest.BodyPublishers.ofByteArray(body.toByteArray());
  }

  /** Every file under the directory, or an empty set when it does not exist. */
  private static Set<String> listing(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return Set.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return new TreeSet<>(files.map(Path::toString).toList());
    }
  }
}
