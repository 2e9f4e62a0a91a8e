package dev.cardinal.registry;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.cardinal.core.event.BestScore;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.core.event.Verdict;
import dev.cardinal.core.schedule.ScheduleStage;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** The JSON shapes the REST API answers with. */
public final class Views {
  private Views() {}

  /**
   * One checkpoint with its scores, as {@code GET /api/checkpoints} lists it. The fields of its
   * parts stand at the top level of the JSON. Fields that are not known are null, and the JSON
   * mapper leaves them out: absent means unknown.
   *
   * @param stored what the checkpoint's event recorded, as stored
   * @param best the checkpoint's best evaluation (raw or EMA) by core's {@code BestEvaluation}
   *     rule: {@code bestResolution}, {@code bestWeights}, {@code bestTop1}
   * @param regularization the run's regularization verdict at this checkpoint, from its
   *     evaluations: {@code verdict}, {@code verdictReason}, {@code verdictEvidence}
   */
  public record Checkpoint(
      @JsonUnwrapped StoredCheckpoint stored,
      List<String> tags,
      List<String> aliases,
      @JsonUnwrapped BestScore best,
      @JsonUnwrapped Verdict regularization,
      List<Evaluation> evaluations) {
    public Checkpoint {
      best = best == null ? BestScore.NONE : best;
      regularization = regularization == null ? Verdict.NONE : regularization;
    }
  }

  /**
   * A checkpoint as its event recorded it, the part of {@link Checkpoint} the checkpoints table
   * holds. Its JSON documents are answered as stored: see {@link RawJson}.
   *
   * @param deletedAtMs when retention deleted it from S3, or null while it exists
   */
  public record StoredCheckpoint(
      String id,
      String run,
      long step,
      int epoch,
      long samplesSeen,
      String model,
      String bucket,
      String prefix,
      RawJson spec,
      RawJson schedule,
      RawJson trainMetrics,
      long createdAtMs,
      boolean deleted,
      Long deletedAtMs) {}

  /**
   * One score of a checkpoint, its fields those of core's {@link EvaluationResult} (at the top
   * level of the JSON) after the evaluation's id; scores are null when it could not be scored
   * ({@code error}), and fields older evaluators did not send are null (absent in JSON).
   *
   * @param id {@code run/step/resolution/weights}
   */
  @JsonSerialize(using = EvaluationJson.class)
  public record Evaluation(String id, @JsonUnwrapped EvaluationResult result) {
    /** Earlier evaluated before later, equal times by id: the latest is the maximum. */
    static final Comparator<Evaluation> LATEST_LAST =
        Comparator.comparingLong((Evaluation e) -> e.result().evaluatedAtMs())
            .thenComparing(Evaluation::id);
  }

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

  /**
   * A scaling study as {@code GET /api/sweeps} lists it.
   *
   * @param state {@code running}, {@code done} (every point done or failed), {@code stop-requested}
   *     or {@code stopped}
   * @param budgetSamples the samples every point trains on
   * @param pointsDone points that reached the budget
   */
  public record SweepSummary(
      String sweepId,
      String dataset,
      Long budgetSamples,
      int pointCount,
      int pointsDone,
      String state,
      String message,
      long createdAtMs,
      long updatedAtMs) {}

  /** A scaling study with the answer for each of its points ({@code GET /api/sweeps/{id}}). */
  public record Sweep(
      String sweepId,
      String dataset,
      Long budgetSamples,
      String state,
      String message,
      long createdAtMs,
      long updatedAtMs,
      List<SweepPointAnswer> points) {}

  /**
   * One point of a study: its knobs, its measured training, its best scores, its regime and what to
   * scale next. Unknown values are absent.
   *
   * @param point the point as its sweep defined it, its fields at the top level of the JSON
   * @param state {@code pending} (no progress yet), {@code running}, {@code done}, {@code stopped}
   *     or {@code failed}
   * @param trainImagesPerSecond images/s of the point's own training steps
   * @param trainSeconds the point's own training time: samplesTrained / trainImagesPerSecond
   * @param checkpointsScored checkpoints of the point's run with at least one top-1
   * @param bestTop1 best top-1 of each weight set over every checkpoint and resolution
   * @param best the point's best evaluation by core's BestEvaluation rule (the one the fronts use)
   * @param bestByResolution the best evaluation at each resolution and weight set
   * @param verdict the evaluator's regime verdict at the latest judged checkpoint
   * @param gap the train-eval gap at the latest checkpoint that has one
   * @param gapHistory the train-eval gap of every checkpoint that has one, by step
   * @param paretoMacs on the front of best top-1 against MACs (no other point is as good for fewer
   *     MACs); absent without a score
   * @param paretoTime on the front of best top-1 against training time; absent without a score or a
   *     measured time
   */
  public record SweepPointAnswer(
      @JsonUnwrapped SweepPoint point,
      String state,
      long samplesTrained,
      Double trainImagesPerSecond,
      Double trainSeconds,
      String message,
      int checkpointsScored,
      BestTop1 bestTop1,
      ResolutionScore best,
      List<ResolutionScore> bestByResolution,
      String verdict,
      Long verdictStep,
      String verdictReason,
      Double gap,
      List<GapPoint> gapHistory,
      Boolean paretoMacs,
      Boolean paretoTime,
      Recommendation recommendation) {}

  /** Best top-1 of the raw and of the EMA weights; a weight set never scored is absent. */
  public record BestTop1(Double raw, Double ema) {}

  /** A top-1 reached at one resolution with one weight set, and the checkpoint that reached it. */
  public record ResolutionScore(int resolution, String weights, double top1, long step) {}

  /**
   * The train-eval gap of one checkpoint: the one the evaluator judged (raw weights near the train
   * resolution) when it judged the checkpoint.
   *
   * @param resolution the eval resolution of {@code evalTop1}
   */
  public record GapPoint(
      long step,
      double gap,
      Double trainTop1,
      Double evalTop1,
      Integer resolution,
      String verdict) {}

  /**
   * What to scale next for one point, and the measurements it rests on.
   *
   * @param rules which rules spoke: {@code no-evidence}, {@code not-enough-evidence}, {@code
   *     over-fitting}, {@code under-fitting}, {@code balanced}, {@code raise-resolution}
   * @param advice the advice in words
   * @param evidence the checkpoints, gaps and scores the advice rests on, one fact each
   */
  public record Recommendation(List<String> rules, String advice, List<String> evidence) {}
}
