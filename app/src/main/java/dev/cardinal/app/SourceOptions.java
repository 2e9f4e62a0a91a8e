package dev.cardinal.app;

import dev.cardinal.ingest.ImageSource;
import dev.cardinal.ingest.IngestOptions;
import dev.cardinal.ingest.SyntheticSource;
import picocli.CommandLine.Option;

/** What ingest streams and how. */
public final class SourceOptions {
  @Option(
      names = "--source",
      defaultValue = "synthetic",
      description = "Dataset: synthetic[:N] (N train images). Default: ${DEFAULT-VALUE}")
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
          "Seed for data generation, shuffling and augmentation. Default: ${DEFAULT-VALUE}")
  long seed;

  @Option(
      names = "--max-lag-batches",
      defaultValue = "200",
      description =
          "Ingest and augment pause while their consumers are this many batches behind; 0 = never."
              + " Default: ${DEFAULT-VALUE}")
  long maxLagBatches;

  ImageSource imageSource() {
    String spec = source.trim();
    if (spec.equals("synthetic") || spec.startsWith("synthetic:")) {
      long trainSize = 20_000;
      if (spec.startsWith("synthetic:")) {
        try {
          trainSize = Long.parseLong(spec.substring("synthetic:".length()));
        } catch (NumberFormatException e) {
          throw new UserError(
              "--source "
                  + spec
                  + ": the count after 'synthetic:' must be a whole number, e.g. synthetic:20000");
        }
        if (trainSize <= 0) {
          throw new UserError("--source " + spec + ": the image count must be > 0");
        }
      }
      return new SyntheticSource(
          seed, trainSize, Math.max(256, Math.min(2000, trainSize / 10)), 32, 10);
    }
    throw new UserError(
        "--source '" + spec + "' is not a known source: use synthetic or synthetic:N");
  }

  IngestOptions ingestOptions() {
    try {
      return new IngestOptions(batchSize, epochs, seed, maxLagBatches);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }
}
