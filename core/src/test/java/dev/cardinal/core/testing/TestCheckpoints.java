package dev.cardinal.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.s3.CheckpointStore;
import java.util.Map;

/**
 * Checkpoint events as a trainer announces them, for the tests and benches that feed a registry
 * without training: plausible values derived from the step, so two checkpoints of a run differ.
 */
public final class TestCheckpoints {
  private TestCheckpoints() {}

  /**
   * A checkpoint of {@code model} at {@code step} of {@code run}, in bucket {@code cardinal} under
   * the trainer's prefix, 100 steps an epoch, 128 images a step, its loss falling with the step.
   *
   * @param kind {@link CheckpointEvent#CREATED} or {@link CheckpointEvent#DELETED}
   * @param schedule the schedule document the trainer stores with it, or null
   */
  public static CheckpointEvent event(
      String run, long step, long createdAtMs, String model, String kind, JsonNode schedule) {
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
        schedule,
        Map.of("loss", 1.0 / (step + 1)),
        createdAtMs);
  }
}
