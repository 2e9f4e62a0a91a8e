package dev.cardinal.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Topics;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.core.kafka.TopicSnapshot;
import dev.cardinal.core.testing.Await;
import dev.cardinal.ingest.IngestOptions;
import dev.cardinal.ingest.SyntheticSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A two-point sweep through {@code cardinal run --sweep}'s wiring on a real embedded broker and S3
 * server, with real training and evaluation: both points train exactly their budget, checkpoint and
 * are scored; cardinal.sweeps holds their definition and their done events; and starting the sweep
 * again, or extending it with a point it has, trains nothing twice.
 */
class SweepEndToEndTest {
  private static final int BATCH = 32;
  private static final long BUDGET = 20 * BATCH;

  @TempDir Path dataDir;

  @Test
  void twoPointsTrainTheirBudgetAreScoredAndAreNotTrainedAgain() throws Exception {
    // Two points of the smallest network: one at the stream's 32 px, one resized to 24 px.
    SweepGrid grid =
        quarterWidthResnet20(
            Map.of("resolutions", List.of(32, 24), "budget", BUDGET, "checkpointEvery", 10));
    SyntheticSource source = new SyntheticSource(7, 2_000, 128, 32, 10);
    IngestOptions ingest = new IngestOptions(BATCH, 0, 7, 100);
    SweepPlan plan = PipelineSweep.plan(grid, "study", source, ingest);
    assertThat(plan.points())
        .extracting(SweepPoint::runId)
        .containsExactly("study-resnet20-w0.25-r32", "study-resnet20-w0.25-r24");
    assertThat(plan.points().get(0).macs()).isGreaterThan(plan.points().get(1).macs());

    try (Services services = embeddedServices()) {
      try (PipelineSweep sweep =
          PipelineSweep.start(services, plan, source, ingest, "127.0.0.1", 0, dataDir, 0)) {
        Await.until(
            Duration.ofMinutes(6),
            "both points done on " + Topics.SWEEPS,
            () -> fold(services).unfinished().isEmpty());
        Set<String> runs =
            plan.points().stream().map(SweepPoint::runId).collect(Collectors.toSet());
        Await.until(
            Duration.ofMinutes(4),
            "an evaluation of the last checkpoint of each point's run",
            () -> scoredAtBudget(services).containsAll(runs));
        sweep.awaitFinished();
        assertThat(sweep.stopped()).isFalse();
      }
      SweepFold fold = fold(services);
      assertThat(fold.points()).hasSize(2);
      for (SweepPoint point : fold.points()) {
        SweepEvent done = fold.progress(point.pointId());
        assertThat(done.state()).isEqualTo(SweepEvent.DONE);
        // Exactly the budget: 20 steps of 32, whatever ran side by side.
        assertThat(done.samplesTrained()).isEqualTo(BUDGET);
        assertThat(done.trainImagesPerSecond()).isPositive();
      }
      List<SweepEvent> before = events(services);

      // Starting the sweep again resumes it: nothing is unfinished, so nothing trains, and its
      // points are not defined again.
      try (PipelineSweep again =
          PipelineSweep.start(services, plan, source, ingest, "127.0.0.1", 0, dataDir, 0)) {
        again.awaitFinished();
      }
      // Extending with a grid that has one point the sweep has and one it has not adds only the
      // new one.
      SweepGrid extension =
          quarterWidthResnet20(
              Map.of("widths", List.of(0.25, 0.5), "resolutions", List.of(32), "budget", BUDGET));
      try (SweepLog sweepLog = new SweepLog(services.kafka())) {
        SweepFold current = fold(services);
        List<SweepPoint> added =
            SweepCommand.addPoints(
                sweepLog, current, PipelineSweep.plan(extension, "study", source, ingest));
        assertThat(added).extracting(SweepPoint::pointId).containsExactly("resnet20-w0.5-r32");
      }
      List<SweepEvent> after = events(services);
      List<SweepEvent> definitions =
          after.stream().filter(e -> SweepEvent.DEFINED.equals(e.kind())).toList();
      assertThat(definitions).hasSize(2);
      assertThat(definitions.get(1).points())
          .extracting(SweepPoint::pointId)
          .containsExactly("resnet20-w0.5-r32");
      // No point trained a second time: no progress event after the first run's.
      assertThat(after.stream().filter(e -> SweepEvent.PROGRESS.equals(e.kind())).count())
          .isEqualTo(before.stream().filter(e -> SweepEvent.PROGRESS.equals(e.kind())).count());
      assertThat(fold(services).points()).hasSize(3);
    }
  }

  /** The smallest network, at a quarter of its width, trained with the baseline recipe. */
  private static SweepGrid quarterWidthResnet20(Map<String, Object> more) {
    Map<String, Object> values = new HashMap<>();
    values.put("presets", List.of("resnet20"));
    values.put("widths", List.of(0.25));
    values.put("recipe", "baseline");
    values.putAll(more);
    return SweepGrid.fromMap(values, "test grid");
  }

  /** A real embedded broker and S3 server keeping their state in this test's data directory. */
  private Services embeddedServices() {
    ConnectionOptions connection = new ConnectionOptions();
    connection.s3Bucket = "cardinal";
    return Services.connect(connection, dataDir, 0, 0, true);
  }

  private static SweepFold fold(Services services) {
    return fold(services, "study");
  }

  private static SweepFold fold(Services services, String sweepId) {
    try (SweepLog sweepLog = new SweepLog(services.kafka())) {
      return sweepLog.read().sweep(sweepId);
    }
  }

  private static List<SweepEvent> events(Services services) {
    try (SweepLog sweepLog = new SweepLog(services.kafka())) {
      return sweepLog.read().events();
    }
  }

  /** Runs with a scored evaluation of the checkpoint at the budget (step 20). */
  private static Set<String> scoredAtBudget(Services services) {
    return TopicSnapshot.read(services.kafka(), Topics.EVALUATIONS, Duration.ofSeconds(30)).stream()
        .map(r -> Json.fromBytes(r.value(), EvaluationEvent.class))
        .filter(e -> e.result().error() == null && e.step() == BUDGET / BATCH)
        .map(EvaluationEvent::runId)
        .collect(Collectors.toSet());
  }

  @Test
  void aStoppedSweepCheckpointsItsPointAndResumesItFromThere() throws Exception {
    long budget = 40 * BATCH;
    SweepGrid grid =
        quarterWidthResnet20(
            // Only the stop's and the budget's checkpoints.
            Map.of("budget", budget, "checkpointEvery", 1_000));
    SyntheticSource source = new SyntheticSource(7, 2_000, 64, 32, 10);
    IngestOptions ingest = new IngestOptions(BATCH, 0, 7, 100);
    SweepPlan plan = PipelineSweep.plan(grid, "halt", source, ingest);
    String runId = plan.points().get(0).runId();
    String pointId = plan.points().get(0).pointId();
    try (Services services = embeddedServices()) {
      long stoppedAtSamples;
      try (PipelineSweep sweep =
              PipelineSweep.start(services, plan, source, ingest, "127.0.0.1", 0, dataDir, 1);
          SweepLog sweepLog = new SweepLog(services.kafka())) {
        Await.until(
            Duration.ofMinutes(4),
            "10 steps of " + runId + " on " + Topics.METRICS,
            () -> trainedSteps(services, runId) >= 10);
        sweepLog.publish(SweepEvent.lifecycle("halt", SweepEvent.STOP_REQUESTED, "the test"));
        SweepFold stopped =
            Await.until(
                Duration.ofMinutes(2),
                "sweep halt stopped",
                () -> fold(services, "halt"),
                f -> SweepEvent.STOPPED.equals(f.state()));
        sweep.awaitFinished();
        assertThat(sweep.stopped()).isTrue();
        SweepEvent last = stopped.progress(pointId);
        assertThat(last.state()).isEqualTo(SweepEvent.STOPPED);
        stoppedAtSamples = last.samplesTrained();
        assertThat(stoppedAtSamples).isBetween(10L * BATCH, budget - 1);
      }
      // The stop's final checkpoint holds every sample the point trained.
      List<Long> checkpoints = services.store().completeCheckpoints(runId);
      assertThat(checkpoints).isNotEmpty();
      assertThat(checkpoints.get(checkpoints.size() - 1)).isEqualTo(stoppedAtSamples / BATCH);

      try (PipelineSweep resumed =
          PipelineSweep.start(services, plan, source, ingest, "127.0.0.1", 0, dataDir, 1)) {
        Await.until(
            Duration.ofMinutes(4),
            "point " + pointId + " done after the resume",
            () -> fold(services, "halt").done(pointId));
        resumed.awaitFinished();
      }
      assertThat(fold(services, "halt").progress(pointId).samplesTrained()).isEqualTo(budget);
      // The budget's checkpoint continues the stop's: the point was resumed, not restarted.
      var manifest = services.store().getManifest(runId, budget / BATCH);
      assertThat(manifest.samplesSeen()).isEqualTo(budget);
      assertThat(manifest.parentCheckpoint())
          .isEqualTo(CheckpointEvent.checkpointId(runId, stoppedAtSamples / BATCH));
    }
  }

  private static long trainedSteps(Services services, String runId) {
    return TopicSnapshot.read(services.kafka(), Topics.METRICS, Duration.ofSeconds(30)).stream()
        .map(r -> Json.fromBytes(r.value(), MetricEvent.class))
        .filter(m -> runId.equals(m.runId()))
        .mapToLong(MetricEvent::step)
        .max()
        .orElse(0);
  }
}
