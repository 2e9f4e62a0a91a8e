package dev.cardinal.app.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cardinal.core.testing.TestServices;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A cardinality study of the small capacity-matched ResNeXt family ({@code resnext_s_1x24d} ...
 * {@code _8x5d}, MACs within 5% of each other) on Fashion-MNIST: {@code ./cardinal run --sweep} as
 * a user starts it, every point for the same budget of samples, read back from the registry's
 * {@code /api/sweeps/{id}} once every point is done and all its checkpoints are scored. It prints
 * the study's table and whether top-1 rises with cardinality, as ResNeXt's Table 2 found at
 * ImageNet scale, whichever way it falls here.
 *
 * <p>Usage: {@code SweepBench [epochs-per-point (1)] [max-minutes (45)]}.
 */
public final class SweepBench {
  private static final String SWEEP = "cardinality";
  private static final List<String> FAMILY =
      List.of("resnext_s_1x24d", "resnext_s_2x15d", "resnext_s_4x9d", "resnext_s_8x5d");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public static void main(String[] args) throws Exception {
    double epochs = args.length > 0 ? Double.parseDouble(args[0]) : 1;
    double maxMinutes = args.length > 1 ? Double.parseDouble(args[1]) : 45;
    Path dir = TestServices.tempDir("bench-sweep");
    Path grid = dir.resolve("grid.yaml");
    Files.writeString(
        grid,
        String.join(
            "\n",
            "presets: [" + String.join(", ", FAMILY) + "]",
            "budget: " + epochs + " epochs",
            "recipe: fashion-mnist",
            "schedule: fashion-mnist",
            "batchSize: 128",
            "checkpointEvery: 200", // three scored checkpoints a point: enough for a regime verdict
            ""));
    System.out.print(Files.readString(grid));
    long start = System.nanoTime();
    JsonNode sweep = null;
    try (CardinalProcess run =
        CardinalProcess.start(dir, List.of("--sweep", grid.toString(), "--sweep-name", SWEEP))) {
      double nextReport = 1;
      while (run.isAlive() && minutesSince(start) < maxMinutes) {
        Thread.sleep(10_000);
        sweep = get(run.port(), "/api/sweeps/" + SWEEP);
        if (minutesSince(start) >= nextReport) {
          printProgress(minutesSince(start), sweep);
          nextReport += 2;
        }
        if (finished(run.port(), sweep)) {
          break;
        }
      }
      if (sweep == null || !finished(run.port(), sweep)) {
        throw new IllegalStateException(
            "the sweep did not finish within "
                + maxMinutes
                + " minutes (or cardinal stopped); see "
                + run.log());
      }
    }
    double minutes = minutesSince(start);
    printTable(sweep);
    report(sweep, minutes);
  }

  /** Every point has trained its budget and every checkpoint of its run has been scored. */
  private static boolean finished(int port, JsonNode sweep) throws IOException {
    if (sweep == null || sweep.path("points").size() != FAMILY.size()) {
      return false;
    }
    for (JsonNode point : sweep.path("points")) {
      if (!"done".equals(point.path("state").asText())) {
        return false;
      }
      String run = URLEncoder.encode(point.path("runId").asText(), StandardCharsets.UTF_8);
      // A JSON array of the run's live checkpoints, newest first.
      JsonNode checkpoints = get(port, "/api/checkpoints?run=" + run + "&limit=100");
      if (checkpoints == null || !checkpoints.isArray() || checkpoints.isEmpty()) {
        return false;
      }
      for (JsonNode checkpoint : checkpoints) {
        if (checkpoint.path("evaluations").isEmpty()) {
          return false;
        }
      }
    }
    return true;
  }

  private static void printProgress(double minute, JsonNode sweep) {
    StringBuilder row = new StringBuilder(String.format("minute %5.1f:", minute));
    if (sweep != null) {
      for (JsonNode point : sweep.path("points")) {
        row.append(
            String.format(
                "  %s %s %d samples, %d scored",
                point.path("preset").asText(),
                point.path("state").asText(),
                point.path("samplesTrained").asLong(),
                point.path("checkpointsScored").asInt()));
      }
    }
    System.out.println(row);
  }

  private static void printTable(JsonNode sweep) {
    String format = "%-16s %5s %7s %9s %8s %8s %8s %8s %-14s %s%n";
    System.out.printf(
        format,
        "preset",
        "card",
        "MMACs",
        "params",
        "img/s",
        "train_s",
        "raw",
        "ema",
        "verdict",
        "recommendation");
    for (JsonNode point : sweep.path("points")) {
      System.out.printf(
          format,
          point.path("preset").asText(),
          cardinality(point.path("preset").asText()),
          String.format("%.1f", point.path("macs").asLong() / 1e6),
          point.path("parameters").asLong(),
          String.format("%.0f", point.path("trainImagesPerSecond").asDouble(Double.NaN)),
          String.format("%.0f", point.path("trainSeconds").asDouble(Double.NaN)),
          String.format("%.4f", point.path("bestTop1").path("raw").asDouble(Double.NaN)),
          String.format("%.4f", point.path("bestTop1").path("ema").asDouble(Double.NaN)),
          point.path("verdict").asText("unknown"),
          point.path("recommendation").path("advice").asText());
    }
  }

  /**
   * The direction ResNeXt found (more cardinality, better top-1 at equal cost), measured as
   * Kendall's tau between cardinality and each point's best top-1: +1 when top-1 rises with every
   * step of cardinality, -1 when it falls with every step.
   */
  private static void report(JsonNode sweep, double minutes) {
    List<double[]> cardinalityAndTop1 = new ArrayList<>();
    String bestPreset = null;
    double bestTop1 = -1;
    long minMacs = Long.MAX_VALUE;
    long maxMacs = 0;
    for (JsonNode point : sweep.path("points")) {
      String preset = point.path("preset").asText();
      double top1 =
          Math.max(
              point.path("bestTop1").path("raw").asDouble(0),
              point.path("bestTop1").path("ema").asDouble(0));
      cardinalityAndTop1.add(new double[] {cardinality(preset), top1});
      if (top1 > bestTop1) {
        bestTop1 = top1;
        bestPreset = preset;
      }
      minMacs = Math.min(minMacs, point.path("macs").asLong());
      maxMacs = Math.max(maxMacs, point.path("macs").asLong());
    }
    double tau = kendallTau(cardinalityAndTop1);
    System.out.printf(
        "ordering by cardinality: Kendall tau %.2f: %s%n",
        tau,
        tau == 1
            ? "top-1 rises with every step of cardinality, the paper's direction"
            : tau > 0
                ? "top-1 tends to rise with cardinality (the paper's direction), not at every step"
                : tau == 0
                    ? "no ordering by cardinality"
                    : "top-1 falls with cardinality here, against the paper's direction");
    System.out.printf(
        "RESULT sweep points=%d minutes=%.1f best=%s best_top1=%.4f macs_spread=%.3f"
            + " cardinality_tau=%.2f%n",
        cardinalityAndTop1.size(), minutes, bestPreset, bestTop1, (double) maxMacs / minMacs, tau);
  }

  /** The groups of a {@code resnext_s_<C>x<d>d} preset. */
  private static int cardinality(String preset) {
    String spec = preset.substring(preset.lastIndexOf('_') + 1);
    return Integer.parseInt(spec.substring(0, spec.indexOf('x')));
  }

  private static double kendallTau(List<double[]> pairs) {
    int concordant = 0;
    int discordant = 0;
    for (int i = 0; i < pairs.size(); i++) {
      for (int j = i + 1; j < pairs.size(); j++) {
        double sign =
            Math.signum(pairs.get(i)[0] - pairs.get(j)[0])
                * Math.signum(pairs.get(i)[1] - pairs.get(j)[1]);
        concordant += sign > 0 ? 1 : 0;
        discordant += sign < 0 ? 1 : 0;
      }
    }
    int pairCount = pairs.size() * (pairs.size() - 1) / 2;
    return pairCount == 0 ? 0 : (double) (concordant - discordant) / pairCount;
  }

  private static JsonNode get(int port, String path) throws IOException {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
    } catch (IOException e) {
      return null; // not serving yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static double minutesSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 60e9;
  }
}
