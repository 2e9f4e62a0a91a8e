package dev.cardinal.ingest;

/** One image cannot be read; ingest skips it with a dead letter and goes on. */
public final class BadImageException extends RuntimeException {
  private final String origin;

  public BadImageException(String origin, String reason, Throwable cause) {
    super(reason, cause);
    this.origin = origin;
  }

  public BadImageException(String origin, String reason) {
    this(origin, reason, null);
  }

  public String origin() {
    return origin;
  }

  public BadInput asBadInput() {
    return new BadInput(origin, getMessage());
  }
}
