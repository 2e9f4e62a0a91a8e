package dev.cardinal.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.trainer.Recipe;
import dev.cardinal.trainer.TrainerConfig;
import dev.cardinal.trainer.TrainerConfigBuilder;
import dev.cardinal.trainer.model.ModelPresets;

/**
 * How every point of a sweep trains, written into the sweep's first {@code defined} event so any
 * process can resume the sweep without the grid file.
 *
 * @param recipe the recipe, its learning-rate schedule already stretched to the budget
 * @param schedule the stream's schedule as JSON, or null
 */
record SweepTraining(
    Recipe recipe,
    JsonNode schedule,
    int checkpointEvery,
    int metricsEvery,
    long seed,
    int keepLast,
    int keepBest) {

  /** Progress events are published every this many metric reports of a point. */
  static final int REPORTS_PER_PROGRESS = 5;

  static SweepTraining of(Recipe recipe, Schedule schedule, int checkpointEvery) {
    return new SweepTraining(
        recipe, schedule == null ? null : schedule.toJson(), checkpointEvery, 10, 42, 3, 2);
  }

  JsonNode toJson() {
    return Json.toTree(this);
  }

  static SweepTraining fromJson(JsonNode json, String sweepId) {
    if (json == null || json.isNull()) {
      throw new UserError(
          "sweep "
              + sweepId
              + " was defined without its training settings (by another tool?): start a new"
              + " sweep");
    }
    return Json.fromTree(json, SweepTraining.class);
  }

  Schedule resolvedSchedule(String sweepId) {
    return schedule == null ? null : Schedule.parse(schedule.toString(), "sweep " + sweepId);
  }

  /** The run that trains {@code point} for {@code budgetSamples}. */
  TrainerConfig trainerConfig(SweepPoint point, long budgetSamples, Schedule stream) {
    return TrainerConfigBuilder.builder()
        .runId(point.runId())
        .model(point.preset())
        .spec(ModelPresets.scaled(point.preset(), point.widthMultiplier(), point.depth()))
        .recipe(recipe)
        .checkpointEverySteps(checkpointEvery)
        .metricsEverySteps(metricsEvery)
        .keepLast(keepLast)
        .keepBest(keepBest)
        .seed(seed)
        .schedule(stream)
        .trainResolution(point.trainResolution())
        .maxSamples(budgetSamples)
        .build()
        .withRegularization(point.regularization());
  }
}
