package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.registryConfig;
import static dev.cardinal.registry.Fixtures.started;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Resources;
import dev.cardinal.core.event.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 13 item 6: the live stream serves a bounded number of browsers and says so beyond it. */
class RegistryHttpStreamLimitTest {
  /** One connection per stream, as browsers open them, rather than HTTP/2 multiplexing. */
  private static final HttpClient HTTP1 =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private static RegistryServer server;

  @BeforeAll
  static void start() {
    server = started(registryConfig("registry-stream"));
  }

  @AfterAll
  static void stop() {
    Resources.close(server);
  }

  @Test
  void clientsBeyondTheLimitGetAnExplained503AndAFreedSlotIsReused() throws Exception {
    List<InputStream> streams = new ArrayList<>();
    try {
      for (int i = 0; i < LiveStream.DEFAULT_MAX_CLIENTS; i++) {
        HttpResponse<InputStream> r = open();
        assertThat(r.statusCode()).as("stream %d", i).isEqualTo(200);
        streams.add(r.body());
        assertThat(firstLine(r.body())).as("stream %d", i).isEqualTo("retry: 2000");
      }

      HttpResponse<InputStream> refused = open();
      assertThat(refused.statusCode()).isEqualTo(503);
      String body;
      try (InputStream in = refused.body()) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      assertThat(refused.headers().firstValue("Content-Type").orElse(""))
          .startsWith("application/json");
      assertThat(Json.MAPPER.readTree(body).get("error").asText())
          .contains(String.valueOf(LiveStream.DEFAULT_MAX_CLIENTS))
          .contains("close another registry tab");

      // A browser that leaves frees its slot: the server sees the close and the next one gets in.
      streams.remove(0).close();
      Fixtures.await(
          "a freed live stream slot",
          Duration.ofSeconds(30),
          () -> {
            try {
              HttpResponse<InputStream> again = open();
              if (again.statusCode() == 200) {
                streams.add(again.body());
                return true;
              }
              again.body().close();
              return false;
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
    } finally {
      for (InputStream s : streams) {
        s.close();
      }
    }
  }

  private static HttpResponse<InputStream> open() throws IOException, InterruptedException {
    return HTTP1.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/stream"))
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofInputStream());
  }

  private static String firstLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) {
      line.append((char) b);
    }
    return line.toString();
  }
}
