package dev.cardinal.ingest;

/**
 * How {@link Sources} opens a dataset.
 *
 * @param seed generation seed of synthetic data
 * @param evalFraction share of a folder without a test split held out for eval (by a hash of the
 *     file's path, so the split is the same on every run)
 * @param maxSide longer side cap: larger photos are scaled down to it, smaller stay as they are
 */
public record SourceSettings(long seed, double evalFraction, int maxSide) {
  public static final double DEFAULT_EVAL_FRACTION = 0.1;
  public static final int DEFAULT_MAX_SIDE = 512;

  public SourceSettings {
    if (!(evalFraction >= 0 && evalFraction < 1)) {
      throw new IllegalArgumentException("--eval-fraction must be in [0, 1), got " + evalFraction);
    }
    if (maxSide < 8) {
      throw new IllegalArgumentException("--max-side must be >= 8 pixels, got " + maxSide);
    }
  }

  public static SourceSettings defaults(long seed) {
    return new SourceSettings(seed, DEFAULT_EVAL_FRACTION, DEFAULT_MAX_SIDE);
  }
}
