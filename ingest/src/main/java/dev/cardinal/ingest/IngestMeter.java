package dev.cardinal.ingest;

import dev.cardinal.core.Topics;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.KafkaSender;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts what ingest produced, reports it on {@code cardinal.metrics} every few seconds and draws
 * the terminal progress bar. Single-threaded: called from the ingest loop only.
 */
final class IngestMeter {
  private static final Logger log = LoggerFactory.getLogger(IngestMeter.class);
  private static final long METRIC_EVERY_NANOS = 2_000_000_000L;
  private static final long DRAW_EVERY_NANOS = 250_000_000L;

  private final KafkaSender sender;
  private final ProgressBar bar;
  private final long started = System.nanoTime();
  private long lastMetric = started;
  private long lastDraw;
  private long trainImages;
  private long evalImages;
  private long bytes;
  private long badInputs;
  private long reports;
  private int epoch;
  private long position;
  private long total;
  private String suffix = "";

  IngestMeter(KafkaSender sender, ProgressBar bar) {
    this.sender = sender;
    this.bar = bar;
  }

  void sent(int images, long recordBytes, boolean eval) {
    if (eval) {
      evalImages += images;
    } else {
      trainImages += images;
    }
    bytes += recordBytes;
    tick();
  }

  void bad() {
    badInputs++;
  }

  long badInputs() {
    return badInputs;
  }

  /** Where the bar stands: {@code position} of {@code total} images (total <= 0 when unbounded). */
  void position(int currentEpoch, long done, long totalImages, String label) {
    epoch = currentEpoch;
    position = done;
    total = totalImages;
    suffix = label;
  }

  double imagesPerSecond() {
    double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
    return (trainImages + evalImages) / seconds;
  }

  void tick() {
    long now = System.nanoTime();
    if (bar != null && now - lastDraw >= DRAW_EVERY_NANOS) {
      lastDraw = now;
      bar.draw(ProgressBar.render(position, total, imagesPerSecond(), suffix));
    }
    if (now - lastMetric >= METRIC_EVERY_NANOS) {
      lastMetric = now;
      report();
    }
  }

  void finish() {
    if (bar != null) {
      bar.draw(ProgressBar.render(position, total, imagesPerSecond(), suffix));
      bar.finish();
    }
    report();
  }

  private void report() {
    double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
    Map<String, Double> values = new HashMap<>();
    values.put("images_per_s", (trainImages + evalImages) / seconds);
    values.put("mb_per_s", bytes / seconds / 1e6);
    values.put("train_images", (double) trainImages);
    values.put("eval_images", (double) evalImages);
    values.put("bad_inputs", (double) badInputs);
    values.put("epoch", (double) epoch);
    sender
        .send(
            Topics.METRICS,
            "ingest".getBytes(StandardCharsets.UTF_8),
            Json.toBytes(MetricEvent.now("ingest", null, ++reports, values)))
        .subscribe(m -> {}, e -> log.warn("Cannot send ingest metrics: {}", e.toString()));
  }
}
