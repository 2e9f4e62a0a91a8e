package dev.cardinal.evaluator;

import dev.cardinal.core.event.BestEvaluation;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.TrainEvalGap;
import dev.cardinal.core.event.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the evaluation events of a checkpoint: one per weight set and resolution, with a
 * deterministic id, carrying its scores or the reason it has none.
 */
final class EvaluationEvents {
  private static final Logger log = LoggerFactory.getLogger(EvaluationEvents.class);

  private EvaluationEvents() {}

  /**
   * The events of a scored checkpoint. Each carries the train–eval gap, the best resolution of its
   * weight set (by {@link BestEvaluation}, the rule the registry follows too) and the run's
   * verdict; a weight set without scores gets an error event per resolution.
   */
  static List<EvaluationEvent> scored(
      CheckpointEvent event,
      ScoringPlan plan,
      List<String> weightSets,
      CheckpointScorer.Outcome outcome,
      double trainTop1,
      Verdict verdict) {
    long now = System.currentTimeMillis();
    List<EvaluationEvent> out = new ArrayList<>();
    for (String weights : weightSets) {
      Map<Integer, ScoreTally> byResolution = outcome.scores().get(weights);
      if (byResolution == null) {
        String reason = outcome.failures().getOrDefault(weights, "not scored");
        for (int resolution : plan.resolutions()) {
          out.add(error(event, resolution, weights, plan, reason));
        }
        continue;
      }
      int best = bestResolution(byResolution, weights).orElse(plan.referenceResolution());
      for (Map.Entry<Integer, ScoreTally> entry : byResolution.entrySet()) {
        int resolution = entry.getKey();
        ScoreTally s = entry.getValue();
        out.add(
            EvaluationEvent.of(
                event.runId(),
                event.step(),
                EvaluationResult.builder(plan.at(resolution, weights))
                    .scores(s.scores())
                    .evaluatedAtMs(now)
                    .gap(TrainEvalGap.of(trainTop1, s.oneViewTop1()))
                    .bestResolution(best)
                    .regularization(verdict)
                    .build()));
        log.info(
            "Checkpoint {} {} at {} px: top-1 {} top-5 {} nll {} ece {} on {} images",
            event.checkpointId(),
            weights,
            resolution,
            f(s.top1()),
            f(s.top5()),
            f(s.nll()),
            f(s.ece()),
            s.images());
      }
    }
    return out;
  }

  private static Optional<Integer> bestResolution(
      Map<Integer, ScoreTally> byResolution, String weights) {
    return BestEvaluation.among(
        byResolution.keySet(),
        resolution -> {
          ScoreTally s = byResolution.get(resolution);
          return new BestEvaluation.Score(s.top1(), s.nll(), resolution, weights);
        });
  }

  /** One error event per weight set and resolution, all with the same reason. */
  static List<EvaluationEvent> failed(
      CheckpointEvent event,
      List<Integer> resolutions,
      List<String> weightSets,
      ScoringPlan plan,
      String reason) {
    log.warn("Cannot evaluate checkpoint {}: {}", event.checkpointId(), reason);
    List<EvaluationEvent> out = new ArrayList<>();
    for (String weights : weightSets) {
      for (int resolution : resolutions) {
        out.add(error(event, resolution, weights, plan, reason));
      }
    }
    return out;
  }

  /**
   * The train top-1 the checkpoint reported: from its event, or for an event without it from its
   * manifest; NaN when neither has it.
   */
  static double trainTop1(CheckpointEvent event, CheckpointManifest manifest) {
    Map<String, Double> metrics =
        event.trainMetrics() != null && event.trainMetrics().containsKey("train_top1")
            ? event.trainMetrics()
            : manifest.recentMetrics();
    Double value = metrics == null ? null : metrics.get("train_top1");
    return value == null ? Double.NaN : value;
  }

  private static EvaluationEvent error(
      CheckpointEvent event, int resolution, String weights, ScoringPlan plan, String reason) {
    EvaluationPlan scoredBy =
        plan == null ? EvaluationPlan.of(resolution, weights) : plan.at(resolution, weights);
    return EvaluationEvent.of(
        event.runId(),
        event.step(),
        EvaluationResult.failure(scoredBy, reason == null ? "unknown error" : reason)
            .evaluatedAtMs(System.currentTimeMillis())
            .build());
  }

  private static String f(double value) {
    return String.format(Locale.ROOT, "%.4f", value);
  }
}
