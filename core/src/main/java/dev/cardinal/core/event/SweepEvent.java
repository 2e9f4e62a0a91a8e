package dev.cardinal.core.event;

import com.fasterxml.jackson.databind.JsonNode;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.List;

/**
 * What happens to a scaling study ("sweep"), on {@code cardinal.sweeps} (one partition, kept
 * forever, key = {@link #sweepId()}). A sweep is the fold of its events in order:
 *
 * <ul>
 *   <li>{@value #DEFINED}: the sweep was started or extended; {@link #points()} are the points this
 *       event adds (a point whose {@code pointId} the sweep already has is ignored), {@link
 *       #budgetSamples()} the samples every point trains on, {@link #dataset()} the stream's
 *       dataset;
 *   <li>{@value #PROGRESS}: one point's state ({@link #pointId()}, {@link #state()}, {@link
 *       #samplesTrained()}, and its measured {@link #trainImagesPerSecond()});
 *   <li>{@value #STOP_REQUESTED}: someone asked the sweep to stop ({@code cardinal sweep stop});
 *       the process running it stops every point with a final checkpoint;
 *   <li>{@value #STOPPED}: the process running the sweep has stopped (its points can be resumed).
 * </ul>
 *
 * <p>Scores are not repeated here: they are the evaluations of each point's run.
 *
 * @param state for {@value #PROGRESS}: {@value #RUNNING}, {@value #DONE} (budget reached), {@value
 *     #STOPPED} or {@value #FAILED}
 * @param trainImagesPerSecond images/s of the point's own training steps (the time it held the
 *     engine), so points that share the cores are compared fairly
 * @param message a failure's reason in words, or who stopped the sweep; else null
 * @param training for {@value #DEFINED}: how the points train, so any process can resume them (the
 *     runner's recipe, schedule, checkpoint cadence and seed, as the runner writes them); else null
 */
@RecordBuilder
public record SweepEvent(
    int schemaVersion,
    String sweepId,
    String kind,
    List<SweepPoint> points,
    Long budgetSamples,
    String dataset,
    String pointId,
    String state,
    Long samplesTrained,
    Double trainImagesPerSecond,
    String message,
    long atMs,
    JsonNode training) {

  public static final int SCHEMA_VERSION = 1;

  public static final String DEFINED = "defined";
  public static final String PROGRESS = "progress";
  public static final String STOP_REQUESTED = "stop-requested";
  public static final String STOPPED = "stopped";

  public static final String RUNNING = "running";
  public static final String DONE = "done";
  public static final String FAILED = "failed";

  /** The sweep was started, or extended with {@code points}. */
  public static SweepEvent defined(
      String sweepId, List<SweepPoint> points, long budgetSamples, String dataset) {
    return defined(sweepId, points, budgetSamples, dataset, null);
  }

  /** The sweep was started, or extended with {@code points} that train as {@code training} says. */
  public static SweepEvent defined(
      String sweepId,
      List<SweepPoint> points,
      long budgetSamples,
      String dataset,
      JsonNode training) {
    return SweepEventBuilder.builder()
        .schemaVersion(SCHEMA_VERSION)
        .sweepId(sweepId)
        .kind(DEFINED)
        .points(List.copyOf(points))
        .budgetSamples(budgetSamples)
        .dataset(dataset)
        .training(training)
        .atMs(System.currentTimeMillis())
        .build();
  }

  /** Where one point stands. */
  public static SweepEvent progress(
      String sweepId,
      String pointId,
      String state,
      long samplesTrained,
      Double trainImagesPerSecond,
      String message) {
    return SweepEventBuilder.builder()
        .schemaVersion(SCHEMA_VERSION)
        .sweepId(sweepId)
        .kind(PROGRESS)
        .pointId(pointId)
        .state(state)
        .samplesTrained(samplesTrained)
        .trainImagesPerSecond(trainImagesPerSecond)
        .message(message)
        .atMs(System.currentTimeMillis())
        .build();
  }

  /** A stop request ({@value #STOP_REQUESTED}) or the runner's stop ({@value #STOPPED}). */
  public static SweepEvent lifecycle(String sweepId, String kind, String message) {
    if (!STOP_REQUESTED.equals(kind) && !STOPPED.equals(kind)) {
      throw new IllegalArgumentException("not a lifecycle kind: " + kind);
    }
    return SweepEventBuilder.builder()
        .schemaVersion(SCHEMA_VERSION)
        .sweepId(sweepId)
        .kind(kind)
        .message(message)
        .atMs(System.currentTimeMillis())
        .build();
  }
}
