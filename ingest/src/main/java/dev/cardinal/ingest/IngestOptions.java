package dev.cardinal.ingest;

/**
 * @param batchSize images per Kafka record
 * @param epochs passes over the train split; 0 means forever
 * @param seed shuffling seed; each epoch is reshuffled from it
 * @param maxLagBatches ingest waits while augment is this many batches behind
 */
public record IngestOptions(int batchSize, int epochs, long seed, long maxLagBatches) {
  public IngestOptions {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("--batch-size must be > 0, got " + batchSize);
    }
    if (epochs < 0) {
      throw new IllegalArgumentException("--epochs must be >= 0 (0 = forever), got " + epochs);
    }
  }
}
