package dev.cardinal.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.s3.CheckpointStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Events, HTTP calls and waiting, shared by the registry tests. */
final class Fixtures {
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Fixtures() {}

  static CheckpointEvent checkpoint(String run, long step, long createdAtMs) {
    return checkpoint(run, step, createdAtMs, "resnet20_cifar", CheckpointEvent.CREATED);
  }

  static CheckpointEvent checkpoint(
      String run, long step, long createdAtMs, String model, String kind) {
    return new CheckpointEvent(
        CheckpointEvent.SCHEMA_VERSION,
        kind,
        run,
        step,
        (int) (step / 100),
        step * 128,
        "cardinal",
        CheckpointStore.checkpointPrefix(run, step),
        model,
        Json.MAPPER.createObjectNode().put("preset", model),
        Json.MAPPER.createObjectNode().put("resolution", 160),
        Map.of("loss", 1.0 / (step + 1)),
        createdAtMs);
  }

  static EvaluationEvent evaluation(
      String run, long step, int resolution, String weights, double top1) {
    return new EvaluationEvent(
        EvaluationEvent.SCHEMA_VERSION,
        EvaluationEvent.evaluationId(run, step, resolution, weights),
        run,
        step,
        resolution,
        weights,
        10_000,
        top1,
        Math.min(1.0, top1 + 0.2),
        2.0 - top1,
        null,
        1_000_000 + step);
  }

  static HttpResponse<String> get(int port, String pathAndQuery) {
    return send(port, HttpRequest.newBuilder().GET(), pathAndQuery);
  }

  static HttpResponse<String> send(int port, HttpRequest.Builder request, String pathAndQuery) {
    try {
      return HTTP.send(
          request
              .uri(URI.create("http://127.0.0.1:" + port + pathAndQuery))
              .timeout(Duration.ofSeconds(30))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("HTTP " + pathAndQuery + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static JsonNode json(HttpResponse<String> response) {
    try {
      return Json.MAPPER.readTree(response.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + response.body(), e);
    }
  }

  /** Polls until the condition holds; fails with the description after the timeout. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after " + timeout.toSeconds() + " s waiting for " + what);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
