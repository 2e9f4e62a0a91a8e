package dev.cardinal.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** The JSON shapes the REST API answers with. */
public final class Views {
  private Views() {}

  /**
   * One checkpoint with its scores, as {@code GET /api/checkpoints} lists it.
   *
   * @param deletedAtMs when retention deleted it from S3, or null while it exists
   */
  public record Checkpoint(
      String id,
      String run,
      long step,
      int epoch,
      long samplesSeen,
      String model,
      String bucket,
      String prefix,
      JsonNode spec,
      JsonNode schedule,
      Map<String, Double> trainMetrics,
      long createdAtMs,
      boolean deleted,
      Long deletedAtMs,
      List<String> tags,
      List<String> aliases,
      List<Evaluation> evaluations) {}

  /**
   * One score of a checkpoint; metrics are null when it could not be scored ({@code error}).
   *
   * @param weights {@code raw} or {@code ema}
   */
  public record Evaluation(
      String id,
      int resolution,
      String weights,
      long images,
      Double top1,
      Double top5,
      Double nll,
      String error,
      long evaluatedAtMs) {}

  /**
   * A run as {@code GET /api/runs} lists it.
   *
   * @param checkpoints checkpoints that still exist (not deleted)
   * @param bestTop1 best top-1 of any evaluation of the run, with where it was reached
   * @param aliases alias to step
   */
  public record Run(
      String run,
      String model,
      long checkpoints,
      Long latestStep,
      Long latestAtMs,
      Double bestTop1,
      Long bestTop1Step,
      Integer bestTop1Resolution,
      String bestTop1Weights,
      Map<String, Long> aliases) {}

  /** The best checkpoint of a run by one metric, with the evaluation that made it best. */
  public record Best(String metric, double value, Evaluation evaluation, Checkpoint checkpoint) {}

  /** A page of checkpoints; {@code nextCursor} is null on the last page. */
  public record Page(List<Checkpoint> checkpoints, String nextCursor) {}

  /** One scored evaluation placed on a run's step axis, for charts of scores over training. */
  public record EvaluationPoint(
      String run,
      long step,
      int resolution,
      String weights,
      Double top1,
      Double top5,
      Double nll) {}
}
