package dev.cardinal.ingest;

/**
 * A source whose images already lie in memory, every image of a split at one shape and none of them
 * able to fail: ingest copies their pixels straight into the record it sends (see {@link
 * BatchWriter}) instead of asking for one {@link LabelledImage} at a time.
 */
interface InMemoryImages {
  /** The shape of every image of the split. */
  ImageShape shape(boolean eval);

  long sampleId(boolean eval, long index);

  int label(boolean eval, long index);

  /** Copies image {@code index}'s pixels (HWC) to {@code dest} at {@code offset}. */
  void copyPixels(boolean eval, long index, byte[] dest, int offset);
}
