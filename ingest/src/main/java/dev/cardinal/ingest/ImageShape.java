package dev.cardinal.ingest;

/** Height, width and channels of an image as ingest will send it (after any size cap). */
public record ImageShape(int height, int width, int channels) {
  public long bytes() {
    return (long) height * width * channels;
  }
}
