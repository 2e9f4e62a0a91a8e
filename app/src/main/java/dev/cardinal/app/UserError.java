package dev.cardinal.app;

/** A problem the user can fix; printed as one line without a stack trace. */
public final class UserError extends RuntimeException {
  public UserError(String message) {
    super(message);
  }

  public UserError(String message, Throwable cause) {
    super(message, cause);
  }

  /** Refuses an option's value outside {@code [min, max]}, naming the option and the limits. */
  static void requireBetween(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new UserError(option + " must be between " + min + " and " + max + ", got " + value);
    }
  }
}
