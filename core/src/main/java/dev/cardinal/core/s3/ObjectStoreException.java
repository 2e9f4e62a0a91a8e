package dev.cardinal.core.s3;

/** An S3 operation failed; the message names the object, the endpoint and the cause. */
public class ObjectStoreException extends RuntimeException {
  private final boolean notFound;

  public ObjectStoreException(String message, Throwable cause, boolean notFound) {
    super(message, cause);
    this.notFound = notFound;
  }

  /** True when the object or bucket does not exist (as opposed to S3 being unreachable). */
  public boolean isNotFound() {
    return notFound;
  }
}
