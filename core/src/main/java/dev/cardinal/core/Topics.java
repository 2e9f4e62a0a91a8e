package dev.cardinal.core;

import java.util.List;

/** Names of every Kafka topic Cardinal uses. Stages meet only here and in S3. */
public final class Topics {
  public static final String IMAGES_TRAIN = "cardinal.images.train";
  public static final String IMAGES_EVAL = "cardinal.images.eval";
  public static final String IMAGES_AUGMENTED = "cardinal.images.augmented";
  public static final String CHECKPOINTS = "cardinal.checkpoints";
  public static final String EVALUATIONS = "cardinal.evaluations";
  public static final String METRICS = "cardinal.metrics";

  /**
   * Aliases, tags and retention's deletion intents, on one partition: its order decides every race
   * between a user keeping a checkpoint and retention deleting it (see {@code AnnotationFold}).
   */
  public static final String ANNOTATIONS = "cardinal.annotations";

  /**
   * Scaling studies: each sweep's definition, its points' progress and stop requests, on one
   * partition keyed by sweep id (see {@code SweepEvent}).
   */
  public static final String SWEEPS = "cardinal.sweeps";

  /**
   * Compacted: per dataset, how far ingest has produced, so a restarted ingest neither repeats nor
   * skips.
   */
  public static final String INGEST_PROGRESS = "cardinal.ingest.progress";

  /** Stages that own a dead-letter topic. */
  public static final List<String> STAGES =
      List.of("ingest", "augment", "trainer", "evaluator", "registry");

  private Topics() {}

  /** The dead-letter topic of a stage, e.g. {@code cardinal.augment.dlq}. */
  public static String deadLetters(String stage) {
    return "cardinal." + stage + ".dlq";
  }
}
