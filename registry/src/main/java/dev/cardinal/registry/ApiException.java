package dev.cardinal.registry;

/**
 * A request the registry refuses, with the HTTP status and a message that tells the caller what to
 * change. Answered as {@code {"error": message}}.
 */
public final class ApiException extends RuntimeException {
  private final int status;

  public ApiException(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, message);
  }
}
