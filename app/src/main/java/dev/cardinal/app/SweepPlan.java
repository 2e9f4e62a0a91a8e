package dev.cardinal.app;

import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.trainer.Recipe;
import dev.cardinal.trainer.model.ModelPresets;
import dev.cardinal.trainer.model.ModelStats;
import dev.cardinal.trainer.model.ResNetSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A grid made concrete for one stream: each point named, its network built once to count its MACs
 * and parameters, and the training every point shares. Everything that could fail fails here,
 * before a sweep publishes anything.
 *
 * @param budgetSamples samples every point trains on
 */
record SweepPlan(
    String sweepId,
    List<SweepPoint> points,
    long budgetSamples,
    String dataset,
    SweepTraining training) {

  /** What a sweep needs to know of the stream it trains on. */
  record StreamFacts(String datasetId, int classes, long epochSize, int resolution) {}

  private static final Pattern SWEEP_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,47}");
  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** Sweep ids are short, so that a run id (sweep id, '-', point id) fits its 64 characters. */
  static String requireSweepId(String sweepId) {
    if (sweepId == null || !SWEEP_ID.matcher(sweepId).matches()) {
      throw new UserError(
          "sweep id '"
              + sweepId
              + "' must be 1-48 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    return sweepId;
  }

  static SweepPlan of(SweepGrid grid, String sweepId, StreamFacts stream) {
    requireSweepId(sweepId);
    long budget = grid.budget().samples(stream.epochSize());
    Recipe named = Recipe.named(grid.recipe());
    // The learning rate decays over the budget, whatever the recipe's own length: every point
    // finishes its schedule, and short budgets are not judged on a learning rate still at its peak.
    double epochs = (double) budget / stream.epochSize();
    Recipe recipe = named.withEpochs(epochs, named.warmupEpochs() * epochs / named.epochs());
    SweepTraining training =
        SweepTraining.of(recipe, grid.resolvedSchedule(), grid.checkpointEvery());
    Map<String, ModelStats> measured = new HashMap<>();
    List<SweepPoint> points = new ArrayList<>();
    for (SweepGrid.Knobs knobs : grid.points(stream.resolution())) {
      String pointId = knobs.pointId();
      String runId = sweepId + "-" + pointId;
      if (!RUN_ID.matcher(runId).matches()) {
        throw new UserError(
            "point "
                + pointId
                + " would train as run '"
                + runId
                + "' ("
                + runId.length()
                + " characters), but run ids are at most 64 letters, digits, '.', '_' or '-':"
                + " give the sweep a shorter --name");
      }
      ModelStats stats =
          measured.computeIfAbsent(
              knobs.preset() + "/" + knobs.width() + "/" + knobs.depth() + "/" + knobs.resolution(),
              key -> ModelStats.count(spec(knobs), knobs.resolution(), stream.classes()));
      points.add(
          new SweepPoint(
              pointId,
              runId,
              knobs.preset(),
              ModelPresets.family(knobs.preset()),
              knobs.width(),
              knobs.depth(),
              knobs.resolution(),
              knobs.regularization(),
              stats.macs(),
              stats.trainableParameters()));
    }
    return new SweepPlan(sweepId, points, budget, stream.datasetId(), training);
  }

  private static ResNetSpec spec(SweepGrid.Knobs knobs) {
    try {
      return ModelPresets.scaled(knobs.preset(), knobs.width(), knobs.depth());
    } catch (IllegalArgumentException e) {
      throw new UserError(
          "grid point "
              + knobs.pointId()
              + ": preset "
              + knobs.preset()
              + (knobs.depth() == null ? "" : " at depth " + knobs.depth())
              + " cannot be built: "
              + e.getMessage());
    }
  }
}
