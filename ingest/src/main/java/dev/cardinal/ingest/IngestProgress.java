package dev.cardinal.ingest;

/**
 * How far ingest has produced one dataset, kept on the compacted progress topic keyed by dataset
 * id: the next train batch starts at ({@code epoch}, {@code nextOffset}).
 */
public record IngestProgress(
    int schemaVersion, String datasetId, int epoch, long nextOffset, boolean evalDone) {
  public static final int SCHEMA_VERSION = 1;

  public static IngestProgress start(String datasetId) {
    return new IngestProgress(SCHEMA_VERSION, datasetId, 0, 0, false);
  }
}
