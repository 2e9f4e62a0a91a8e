package dev.cardinal.core.s3;

/** An S3 operation failed; the message names the object, the endpoint and the cause. */
public class ObjectStoreException extends RuntimeException {
  private final boolean notFound;
  private final boolean unavailable;

  public ObjectStoreException(String message, Throwable cause, boolean notFound) {
    this(message, cause, notFound, false);
  }

  /**
   * @param unavailable S3 gave no answer (refused or dropped the connection, timed out): the same
   *     call may succeed once it is back
   */
  public ObjectStoreException(
      String message, Throwable cause, boolean notFound, boolean unavailable) {
    super(message, cause);
    this.notFound = notFound;
    this.unavailable = unavailable;
  }

  /** True when the object or bucket does not exist (as opposed to S3 being unreachable). */
  public boolean isNotFound() {
    return notFound;
  }

  /**
   * True when S3 did not answer at all (down, restarting, unreachable), as opposed to answering
   * with an error: worth retrying later rather than reporting the object as bad.
   */
  public boolean isUnavailable() {
    return unavailable;
  }
}
