package dev.cardinal.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.schedule.ScheduleStage;
import java.util.List;
import java.util.Map;

/** The JSON shapes the REST API answers with. */
public final class Views {
  private Views() {}

  /**
   * One checkpoint with its scores, as {@code GET /api/checkpoints} lists it. Fields that are not
   * known are null, and the JSON mapper leaves them out: absent means unknown.
   *
   * @param deletedAtMs when retention deleted it from S3, or null while it exists
   * @param bestResolution resolution of the checkpoint's best evaluation (raw or EMA) by core's
   *     {@code BestEvaluation} rule
   * @param bestWeights weight set of that evaluation
   * @param bestTop1 its top-1
   * @param verdict the run's regularization verdict at this checkpoint, from its evaluations
   * @param verdictReason the verdict in words
   * @param verdictEvidence the numbers behind the verdict
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
      Integer bestResolution,
      String bestWeights,
      Double bestTop1,
      String verdict,
      String verdictReason,
      Map<String, Double> verdictEvidence,
      List<Evaluation> evaluations) {}

  /**
   * One score of a checkpoint; metrics are null when it could not be scored ({@code error}). The
   * fields after {@code evaluatedAtMs} are those of {@link dev.cardinal.core.event.EvaluationEvent}
   * that older evaluators did not send: null (absent in JSON) when unknown.
   *
   * @param weights {@code raw} or {@code ema}
   * @param ece expected calibration error of the top-1 confidence (15 equal-width bins)
   * @param perClassAccuracy top-1 accuracy by class index; null entries for classes without images
   * @param trainResolution the resolution the run trained at when the checkpoint was taken
   * @param cropFraction share of the shorter image side the centre crop kept
   * @param trainTop1 the trainer's recent training top-1
   * @param trainEvalGap {@code trainTop1 - top1}
   * @param bestResolution the resolution where this weight set of the checkpoint scored best
   * @param verdict {@code over-fitting}, {@code under-fitting}, {@code balanced} or {@code unknown}
   * @param verdictReason the verdict in words, with its numbers and advice
   * @param verdictEvidence the numbers the verdict was computed from
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
      long evaluatedAtMs,
      Double ece,
      List<Double> perClassAccuracy,
      Integer trainResolution,
      Double cropFraction,
      Double trainTop1,
      Double trainEvalGap,
      Integer bestResolution,
      String verdict,
      String verdictReason,
      Map<String, Double> verdictEvidence) {}

  /**
   * A run as {@code GET /api/runs} lists it.
   *
   * @param checkpoints checkpoints that still exist (not deleted)
   * @param bestTop1 top-1 of the run's best evaluation (core's {@code BestEvaluation} rule), with
   *     where it was reached
   * @param bestRank the run's place on the leaderboard (1 the best) by that same rule over the
   *     runs' best evaluations, equal ones by name; null without a scored evaluation
   * @param verdict the regularization verdict at the run's latest judged checkpoint
   * @param verdictStep the step of that checkpoint
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
      Integer bestRank,
      String verdict,
      Long verdictStep,
      Map<String, Long> aliases) {}

  /** The best checkpoint of a run by one metric, with the evaluation that made it best. */
  public record Best(String metric, double value, Evaluation evaluation, Checkpoint checkpoint) {}

  /**
   * The schedule a checkpoint of a run was trained under, sampled by core's {@code Schedule.at}.
   *
   * @param step the checkpoint whose schedule it is
   * @param stepsPerEpoch that checkpoint's steps per epoch (null before its first epoch ended):
   *     what turns the samples' epochs into steps
   * @param parameters the parameters the schedule's segments set (the others hold their defaults)
   */
  public record Schedule(
      String run,
      long step,
      String name,
      int testResolution,
      Double stepsPerEpoch,
      List<String> parameters,
      List<ScheduleSample> samples) {}

  /** What is in force after {@code epoch} epochs: resolution and regularization. */
  public record ScheduleSample(double epoch, ScheduleStage stage) {}

  /** A page of checkpoints; {@code nextCursor} is null on the last page. */
  public record Page(List<Checkpoint> checkpoints, String nextCursor) {}

  /**
   * One scored evaluation placed on a run's step axis, for charts of scores over training. {@code
   * ece} and {@code trainEvalGap} are null for evaluations from evaluators that did not report
   * them.
   */
  public record EvaluationPoint(
      String run,
      long step,
      int resolution,
      String weights,
      Double top1,
      Double top5,
      Double nll,
      Double ece,
      Double trainEvalGap) {}
}
