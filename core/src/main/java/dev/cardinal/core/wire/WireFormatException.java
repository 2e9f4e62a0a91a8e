package dev.cardinal.core.wire;

/** Bytes that are not a valid Cardinal record; the message names what was wrong. */
public class WireFormatException extends RuntimeException {
  public WireFormatException(String message) {
    super(message);
  }

  public WireFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
