package dev.cardinal.evaluator;

import ai.djl.Device;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Verdict;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.trainer.model.ResNetSpec;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one checkpoint event into its evaluation events: tops up the eval images, resolves the
 * checkpoint, scores it, judges the run and assembles the events. Never throws for a bad
 * checkpoint; the events report it.
 */
final class CheckpointEvaluator {
  private static final Logger log = LoggerFactory.getLogger(CheckpointEvaluator.class);

  private final EvalImagesByDataset evalImages;
  private final CheckpointResolver resolver;
  private final CheckpointScorer scorer;
  private final EvaluationHistory history;

  /**
   * @param deadLetters where eval batches that cannot join their dataset go; it may supply null
   *     (not started: they are only logged)
   */
  CheckpointEvaluator(
      KafkaSettings kafka,
      CheckpointStore store,
      Device device,
      int batchSize,
      Supplier<DeadLetters> deadLetters) {
    this.evalImages = new EvalImagesByDataset(kafka, batchSize, deadLetters);
    this.resolver = new CheckpointResolver(store, evalImages);
    this.scorer = new CheckpointScorer(store, device);
    this.history = new EvaluationHistory(kafka);
  }

  /**
   * @param skipIfScored return nothing when every evaluation the plan calls for is already on
   *     {@code cardinal.evaluations} without error: a checkpoint event redelivered after a
   *     rebalance (its offset was not committed yet) is then not scored a second time
   */
  List<EvaluationEvent> evaluate(CheckpointEvent event, boolean skipIfScored) {
    String imagesProblem = evalImages.refresh();
    try {
      Optional<CheckpointResolver.Resolved> found = resolver.resolve(event, imagesProblem);
      if (found.isEmpty()) {
        return List.of();
      }
      CheckpointResolver.Resolved checkpoint = found.get();
      ScoringPlan plan = checkpoint.plan();
      if (skipIfScored && history.alreadyScored(event, plan, checkpoint.weightSets())) {
        log.info(
            "Checkpoint {} was already scored at {} px ({}); redelivered, skipped",
            event.checkpointId(),
            plan.resolutions(),
            String.join(" and ", checkpoint.weightSets()));
        return List.of();
      }
      ResNetSpec spec = resolver.spec(event, checkpoint);
      return score(event, checkpoint, spec);
    } catch (CheckpointResolver.Unscorable e) {
      return EvaluationEvents.failed(
          event, e.resolutions(), e.weightSets(), e.plan(), e.getMessage());
    }
  }

  private List<EvaluationEvent> score(
      CheckpointEvent event, CheckpointResolver.Resolved checkpoint, ResNetSpec spec) {
    ScoringPlan plan = checkpoint.plan();
    long started = System.nanoTime();
    CheckpointScorer.Outcome outcome =
        scorer.score(event, spec, checkpoint.weightSets(), plan, checkpoint.evalImages());
    double seconds = (System.nanoTime() - started) / 1e9;

    // The verdict is judged on the raw weights at the resolution nearest the train resolution, one
    // view per image like the trainer's own top-1 (a test-time flip would shrink the gap).
    double trainTop1 = EvaluationEvents.trainTop1(event, checkpoint.manifest());
    ScoreTally reference =
        outcome.scores().containsKey(EvaluatorStage.RAW)
            ? outcome.scores().get(EvaluatorStage.RAW).get(plan.referenceResolution())
            : null;
    Verdict verdict =
        history.judge(
            event,
            trainTop1,
            reference == null ? Double.NaN : reference.oneViewTop1(),
            plan.referenceResolution(),
            spec.numClasses());
    List<EvaluationEvent> events =
        EvaluationEvents.scored(event, plan, checkpoint.weightSets(), outcome, trainTop1, verdict);
    log.info(
        "Checkpoint {} scored in {} s ({} resolutions x {} weight sets); {}",
        event.checkpointId(),
        String.format(Locale.ROOT, "%.1f", seconds),
        plan.resolutions().size(),
        outcome.scores().size(),
        verdict.reason());
    return events;
  }
}
