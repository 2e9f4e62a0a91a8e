package dev.cardinal.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.embedded.S3Credentials;
import dev.cardinal.core.event.Json;
import dev.cardinal.ingest.IngestOptions;
import dev.cardinal.ingest.SyntheticSource;
import dev.cardinal.trainer.EngineThreads;
import dev.cardinal.trainer.Recipe;
import dev.cardinal.trainer.TrainerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walking skeleton end to end in one JVM, as {@code cardinal run} wires it: a real embedded
 * Kafka broker, a real S3 server, real DJL training. Checkpoints must appear in the registry with
 * evaluation scores, and a second start on the same data directory must continue the run.
 */
class EndToEndTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dataDir;

  @Test
  void checkpointsAreTrainedEvaluatedListedAndResumed() throws Exception {
    long lastStepOfFirstStart = runUntilEvaluated(2, 0);
    assertThat(lastStepOfFirstStart).isGreaterThanOrEqualTo(20);

    // Same data dir: Kafka, S3 and the registry keep their state and the run resumes.
    long firstNewStep = runUntilEvaluated(1, lastStepOfFirstStart);
    assertThat(firstNewStep).isGreaterThan(lastStepOfFirstStart);
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dataDir.resolve(S3Credentials.FILE_NAME))))
        .isEqualTo("rw-------");
  }

  /**
   * Starts everything, waits until {@code wanted} checkpoints after {@code afterStep} are listed
   * with an evaluation each, stops everything, and returns the newest step seen.
   */
  private long runUntilEvaluated(int wanted, long afterStep) throws Exception {
    ConnectionOptions connection = new ConnectionOptions();
    // No keys given: the embedded S3 server signs with the pair generated for this data dir.
    connection.s3Bucket = "cardinal";
    try (Services services = Services.connect(connection, dataDir, 0, 0, true);
        Pipeline pipeline =
            Pipeline.start(
                services,
                new SyntheticSource(7, 4_000, 256, 32, 10),
                new IngestOptions(32, 0, 7, 100),
                List.of(
                    new TrainerConfig(
                        "e2e",
                        "resnet20",
                        Recipe.named("baseline").withEpochs(30, 0.5),
                        10,
                        null,
                        5,
                        0,
                        3,
                        2,
                        42,
                        null)),
                "127.0.0.1",
                0,
                dataDir)) {
      // The stages share the cores through the engine's thread budget, read back from PyTorch.
      EngineThreads.Budget threads = EngineThreads.inForce();
      assertThat(threads.intraOp()).isEqualTo(Runtime.getRuntime().availableProcessors());
      assertThat(threads.interOp()).isEqualTo(1);
      URI checkpoints =
          URI.create("http://127.0.0.1:" + pipeline.port() + "/api/checkpoints?run=e2e");
      long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
      while (System.nanoTime() < deadline) {
        List<JsonNode> evaluated = new ArrayList<>();
        JsonNode list = Json.MAPPER.readTree(get(checkpoints));
        long newest = 0;
        for (JsonNode checkpoint : list) {
          long step = checkpoint.get("step").asLong();
          newest = Math.max(newest, step);
          if (step > afterStep && !checkpoint.get("evaluations").isEmpty()) {
            evaluated.add(checkpoint);
          }
        }
        if (evaluated.size() >= wanted) {
          for (JsonNode checkpoint : evaluated) {
            JsonNode evaluation = checkpoint.get("evaluations").get(0);
            assertThat(evaluation.get("images").asLong()).isEqualTo(256);
            assertThat(evaluation.get("top1").asDouble()).isBetween(0.0, 1.0);
            assertThat(evaluation.get("resolution").asInt()).isEqualTo(32);
          }
          assertThat(get(URI.create("http://127.0.0.1:" + pipeline.port() + "/")))
              .contains("Cardinal");
          return afterStep == 0
              ? newest
              : evaluated.stream().mapToLong(c -> c.get("step").asLong()).min().orElseThrow();
        }
        Thread.sleep(1_000);
      }
      throw new AssertionError(
          "fewer than " + wanted + " evaluated checkpoints after 4 minutes: " + get(checkpoints));
    }
  }

  private static String get(URI uri) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }
}
