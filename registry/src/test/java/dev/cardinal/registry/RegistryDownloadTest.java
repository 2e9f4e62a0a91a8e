package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.checkpoint;
import static dev.cardinal.registry.Fixtures.get;
import static dev.cardinal.registry.Fixtures.json;
import static dev.cardinal.registry.Fixtures.registryConfig;
import static dev.cardinal.registry.Fixtures.started;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.Resources;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.testing.TestServices;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Presigned download URLs against the real S3 server. */
class RegistryDownloadTest {
  private static CheckpointStore s3;
  private static RegistryServer server;

  @BeforeAll
  static void start() {
    s3 = new CheckpointStore(TestServices.s3());
    server = started(registryConfig("registry-dl").withCheckpointStore(s3));
  }

  @AfterAll
  static void stop() {
    Resources.close(server, s3);
  }

  @Test
  void presignedUrlsServeTheCheckpointsObjects() throws Exception {
    String run = TestServices.unique("dl-run");
    byte[] params = ("params of " + run).getBytes(StandardCharsets.UTF_8);
    s3.putBytes(CheckpointStore.checkpointPrefix(run, 10) + "params", params);
    server
        .store()
        .applyAll(
            List.of(
                checkpoint(run, 10, 1),
                checkpoint(run, 20, 2),
                checkpoint(run, 20, 3, "resnet20_cifar", CheckpointEvent.DELETED)));

    JsonNode all = json(get(server.port(), "/api/checkpoints/" + run + "/10/download"));
    assertThat(all.get("urls").size()).isEqualTo(RegistryRoutes.DOWNLOADABLE.size());
    HttpResponse<String> one =
        get(server.port(), "/api/checkpoints/" + run + "/10/download?object=params");
    assertThat(one.statusCode()).isEqualTo(200);
    String url = json(one).get("urls").get("params").asText();
    HttpResponse<byte[]> object =
        Fixtures.HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(object.statusCode()).isEqualTo(200);
    assertThat(object.body()).isEqualTo(params);

    assertThat(
            get(server.port(), "/api/checkpoints/" + run + "/10/download?object=secrets")
                .statusCode())
        .isEqualTo(400);
    assertThat(get(server.port(), "/api/checkpoints/" + run + "/20/download").statusCode())
        .isEqualTo(410);
    assertThat(get(server.port(), "/api/checkpoints/" + run + "/30/download").statusCode())
        .isEqualTo(404);
  }
}
