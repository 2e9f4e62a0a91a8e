package dev.cardinal.app;

import dev.cardinal.ingest.DataSource;
import dev.cardinal.ingest.IngestOptions;
import dev.cardinal.ingest.SourceSettings;
import dev.cardinal.ingest.Sources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** What ingest streams and how. */
public final class SourceOptions {
  private static final Logger log = LoggerFactory.getLogger(SourceOptions.class);

  @Option(
      names = "--source",
      description =
          "Dataset: "
              + Sources.SYNTAX
              + ". Default: Fashion-MNIST from "
              + "/usr/share/datasets/fashion-mnist when installed (apt-get install"
              + " dataset-fashion-mnist), else synthetic")
  String source;

  @Option(
      names = "--batch-size",
      defaultValue = "64",
      description = "Images per batch. Default: ${DEFAULT-VALUE}")
  int batchSize;

  @Option(
      names = "--epochs",
      defaultValue = "0",
      description = "Passes over the train split; 0 = forever. Default: ${DEFAULT-VALUE}")
  int epochs;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description =
          "Seed for data generation, shuffling, splits and augmentation. Default: ${DEFAULT-VALUE}")
  long seed;

  @Option(
      names = "--eval-fraction",
      defaultValue = "0.1",
      description =
          "Share of a folder held out for evaluation (by file-name hash). Default: ${DEFAULT-VALUE}")
  double evalFraction;

  @Option(
      names = "--max-side",
      defaultValue = "512",
      description = "Larger images are scaled down to this longer side. Default: ${DEFAULT-VALUE}")
  int maxSide;

  @Option(
      names = "--max-lag-batches",
      defaultValue = "200",
      description =
          "Ingest and augment pause while their consumers are this many batches behind; 0 = never."
              + " Default: ${DEFAULT-VALUE}")
  long maxLagBatches;

  /** The --source spec in force: the flag, else Fashion-MNIST when installed, else synthetic. */
  String spec() {
    if (source != null && !source.isBlank()) {
      return source.trim();
    }
    String fallback = Sources.defaultSpec();
    if (fallback.startsWith("synthetic")) {
      log.warn(
          "Fashion-MNIST is not installed, so this run trains on synthetic images: their accuracy"
              + " says nothing about a model. Install it (apt-get install dataset-fashion-mnist;"
              + " ./cardinal does that itself where it may) or give --source.");
    }
    return fallback;
  }

  DataSource dataSource() {
    try {
      return Sources.parse(spec(), new SourceSettings(seed, evalFraction, maxSide));
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }

  IngestOptions ingestOptions() {
    try {
      return new IngestOptions(batchSize, epochs, seed, maxLagBatches);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }
}
