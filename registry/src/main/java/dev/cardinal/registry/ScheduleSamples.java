package dev.cardinal.registry;

import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.schedule.ScheduleException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /api/runs/{run}/schedule}: the schedule a checkpoint was trained under, sampled with
 * core's {@link Schedule#at}, so that a chart of it shows what trainer and augment did rather than
 * a second reading of the schedule document.
 */
final class ScheduleSamples {
  static final int DEFAULT_POINTS = 201;
  static final int MAX_POINTS = 2_000;

  private ScheduleSamples() {}

  /**
   * {@code points} evenly spaced samples from epoch 0 to the later of the schedule's last segment
   * and one epoch past the checkpoint.
   *
   * @throws ApiException 404 when the checkpoint carries no schedule document it can read
   */
  static Views.Schedule of(Views.StoredCheckpoint c, int points) {
    Schedule schedule = scheduleOf(c);
    double end = Math.max(c.epoch() + 1, schedule.lastEpoch());
    List<Views.ScheduleSample> samples = new ArrayList<>(points);
    for (int i = 0; i < points; i++) {
      double epoch = end * i / (points - 1);
      samples.add(new Views.ScheduleSample(epoch, schedule.at(epoch)));
    }
    // Epochs become steps through this checkpoint's own position; before its first epoch ends there
    // is no such rate.
    Double stepsPerEpoch = c.epoch() > 0 ? (double) c.step() / c.epoch() : null;
    return new Views.Schedule(
        c.run(),
        c.step(),
        schedule.name(),
        schedule.testResolution(),
        stepsPerEpoch,
        schedule.scheduledParameters(),
        samples);
  }

  private static Schedule scheduleOf(Views.StoredCheckpoint c) {
    if (c.schedule() == null) {
      throw ApiException.notFound("checkpoint " + c.id() + " carries no schedule");
    }
    try {
      return Schedule.parse(c.schedule().text(), "the schedule of checkpoint " + c.id());
    } catch (ScheduleException e) {
      throw ApiException.notFound(
          "checkpoint "
              + c.id()
              + " carries a schedule this registry cannot read: "
              + e.getMessage());
    }
  }
}
