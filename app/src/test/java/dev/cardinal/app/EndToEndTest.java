package dev.cardinal.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.embedded.S3Credentials;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.testing.Await;
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
                    TrainerConfig.of(
                            "e2e", "resnet20", Recipe.named("baseline").withEpochs(30, 0.5), 10)
                        .withMetricsEverySteps(5)),
                "127.0.0.1",
                0,
                dataDir)) {
      // The stages share the cores through the engine's thread budget, read back from PyTorch.
      EngineThreads.Budget threads = EngineThreads.inForce();
      assertThat(threads.intraOp()).isEqualTo(Runtime.getRuntime().availableProcessors());
      assertThat(threads.interOp()).isEqualTo(1);
      URI checkpoints =
          URI.create("http://127.0.0.1:" + pipeline.port() + "/api/checkpoints?run=e2e");
      List<JsonNode> listed =
          Await.until(
              Duration.ofMinutes(4),
              wanted + " evaluated checkpoints after step " + afterStep,
              () -> listedCheckpoints(checkpoints),
              list -> evaluatedAfter(list, afterStep).size() >= wanted);
      List<JsonNode> evaluated = evaluatedAfter(listed, afterStep);
      long newest = listed.stream().mapToLong(c -> c.get("step").asLong()).max().orElse(0);
      for (JsonNode checkpoint : evaluated) {
        JsonNode evaluation = checkpoint.get("evaluations").get(0);
        assertThat(evaluation.get("images").asLong()).isEqualTo(256);
        assertThat(evaluation.get("top1").asDouble()).isBetween(0.0, 1.0);
        assertThat(evaluation.get("resolution").asInt()).isEqualTo(32);
      }
      assertThat(get(URI.create("http://127.0.0.1:" + pipeline.port() + "/"))).contains("Cardinal");
      return afterStep == 0
          ? newest
          : evaluated.stream().mapToLong(c -> c.get("step").asLong()).min().orElseThrow();
    }
  }

  private static List<JsonNode> listedCheckpoints(URI checkpoints) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    Json.MAPPER.readTree(get(checkpoints)).forEach(out::add);
    return out;
  }

  private static List<JsonNode> evaluatedAfter(List<JsonNode> checkpoints, long afterStep) {
    return checkpoints.stream()
        .filter(c -> c.get("step").asLong() > afterStep && !c.get("evaluations").isEmpty())
        .toList();
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
