package dev.cardinal.evaluator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.Topics;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.s3.ObjectStoreException;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.wire.WireFormatException;
import dev.cardinal.trainer.model.ResNetSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads what a checkpoint event points at (its manifest in S3, its schedule, its spec) and matches
 * it with the eval images of its dataset; says why when any of it is missing or unreadable.
 */
final class CheckpointResolver {
  private static final Logger log = LoggerFactory.getLogger(CheckpointResolver.class);

  /** A checkpoint ready to score but for its spec, read separately (see {@link #spec}). */
  record Resolved(
      CheckpointManifest manifest,
      List<String> weightSets,
      EvalImages evalImages,
      ScoringPlan plan) {}

  /**
   * Why a checkpoint cannot be scored, with the evaluations that report it: each weight set at each
   * resolution, or at a native resolution when the plan was not known yet.
   */
  static final class Unscorable extends Exception {
    private final List<Integer> resolutions;
    private final List<String> weightSets;
    private final ScoringPlan plan;

    Unscorable(
        String reason, List<Integer> resolutions, List<String> weightSets, ScoringPlan plan) {
      super(reason, null, false, false);
      this.resolutions = resolutions;
      this.weightSets = weightSets;
      this.plan = plan;
    }

    List<Integer> resolutions() {
      return resolutions;
    }

    List<String> weightSets() {
      return weightSets;
    }

    /** The plan, or null when the failure came before it was known. */
    ScoringPlan plan() {
      return plan;
    }
  }

  private final CheckpointStore store;
  private final EvalImagesByDataset evalImages;

  CheckpointResolver(CheckpointStore store, EvalImagesByDataset evalImages) {
    this.store = store;
    this.evalImages = evalImages;
  }

  /**
   * @param imagesProblem why the eval topic could not be read, or null: named when the dataset's
   *     images are missing
   * @return empty when the checkpoint's manifest is gone (retention deleted it)
   */
  Optional<Resolved> resolve(CheckpointEvent event, String imagesProblem) throws Unscorable {
    List<Integer> nativeOnly = List.of(evalImages.anyNativeResolution());
    CheckpointManifest manifest;
    try {
      manifest = store.getManifest(event.runId(), event.step());
    } catch (ObjectStoreException e) {
      if (e.isNotFound()) {
        log.info("Checkpoint {} no longer exists (retention); skipped", event.checkpointId());
        return Optional.empty();
      }
      if (e.isUnavailable()) {
        throw e; // S3 is down: that says nothing about the checkpoint (EvaluatorStage waits)
      }
      throw new Unscorable(e.getMessage(), nativeOnly, List.of(EvaluatorStage.RAW), null);
    } catch (WireFormatException e) {
      throw new Unscorable(
          "manifest of " + event.checkpointId() + " is corrupt: " + e.getMessage(),
          nativeOnly,
          List.of(EvaluatorStage.RAW),
          null);
    }
    List<String> weightSets = new ArrayList<>(List.of(EvaluatorStage.RAW));
    if (manifest.objects() != null && manifest.objects().contains(CheckpointScorer.EMA_OBJECT)) {
      weightSets.add(EvaluatorStage.EMA);
    }
    EvalImages images = evalImages.of(manifest.datasetId());
    if (images == null || images.isEmpty()) {
      throw new Unscorable(
          "no evaluation images of dataset '"
              + manifest.datasetId()
              + "' on "
              + Topics.IMAGES_EVAL
              + (imagesProblem == null ? "" : " (" + imagesProblem + ")"),
          nativeOnly,
          weightSets,
          null);
    }
    ScoringPlan plan;
    try {
      plan =
          ScoringPlan.of(
              schedule(event.schedule() != null ? event.schedule() : manifest.schedule()),
              event.epoch(),
              images.nativeResolution());
    } catch (WireFormatException | IllegalArgumentException e) {
      throw new Unscorable(
          "the checkpoint's schedule is unreadable: " + e.getMessage(),
          List.of(images.nativeResolution()),
          weightSets,
          null);
    }
    return Optional.of(new Resolved(manifest, weightSets, images, plan));
  }

  /** The network to rebuild, checked against the label space of the dataset's eval images. */
  ResNetSpec spec(CheckpointEvent event, Resolved checkpoint) throws Unscorable {
    ScoringPlan plan = checkpoint.plan();
    ResNetSpec spec;
    try {
      spec =
          Json.fromTree(
              event.spec() != null ? event.spec() : checkpoint.manifest().spec(), ResNetSpec.class);
    } catch (WireFormatException | IllegalArgumentException e) {
      throw new Unscorable(
          "the checkpoint's model spec is unreadable: " + e.getMessage(),
          plan.resolutions(),
          checkpoint.weightSets(),
          plan);
    }
    int classes = checkpoint.evalImages().classes();
    if (classes > spec.numClasses()) {
      throw new Unscorable(
          "the eval images of '"
              + checkpoint.manifest().datasetId()
              + "' have "
              + classes
              + " classes but the model has "
              + spec.numClasses(),
          plan.resolutions(),
          checkpoint.weightSets(),
          plan);
    }
    return spec;
  }

  private static Schedule schedule(JsonNode json) {
    return json == null || json.isNull() ? null : Json.fromTree(json, Schedule.class);
  }
}
