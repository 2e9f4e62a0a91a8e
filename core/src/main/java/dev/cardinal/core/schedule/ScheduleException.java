package dev.cardinal.core.schedule;

/** A schedule that cannot be used, with the source and line that make it so. */
public final class ScheduleException extends IllegalArgumentException {
  public ScheduleException(String message) {
    super(message);
  }

  public ScheduleException(String message, Throwable cause) {
    super(message, cause);
  }
}
