package dev.cardinal.ingest;

/**
 * How far ingest has produced one dataset, kept on the compacted progress topic keyed by dataset id
 * and committed in the same transaction as the batches it covers: the next train batch starts at
 * ({@code epoch}, {@code nextOffset}) of the batch plan.
 *
 * @param evalOffset eval samples already produced while {@code evalDone} is false
 * @param seed the shuffle seed the current epoch started with (a restart finishes it with the same)
 * @param batchSize the batch size the current epoch started with
 */
public record IngestProgress(
    int schemaVersion,
    String datasetId,
    int epoch,
    long nextOffset,
    boolean evalDone,
    Long evalOffset,
    Long seed,
    Integer batchSize) {
  public static final int SCHEMA_VERSION = 2;

  public static IngestProgress start(String datasetId) {
    return new IngestProgress(SCHEMA_VERSION, datasetId, 0, 0, false, 0L, null, null);
  }

  public long evalOffsetOrZero() {
    return evalOffset == null ? 0 : evalOffset;
  }

  IngestProgress withEval(long offset, boolean done) {
    return new IngestProgress(
        SCHEMA_VERSION, datasetId, epoch, nextOffset, done, offset, seed, batchSize);
  }

  IngestProgress at(int newEpoch, long offset, long newSeed, int newBatchSize) {
    return new IngestProgress(
        SCHEMA_VERSION, datasetId, newEpoch, offset, evalDone, evalOffset, newSeed, newBatchSize);
  }
}
