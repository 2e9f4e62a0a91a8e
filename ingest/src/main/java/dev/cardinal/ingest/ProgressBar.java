package dev.cardinal.ingest;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress display redrawn in place on a terminal: bar, images/s and ETA. */
final class ProgressBar {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private int lastLength;

  ProgressBar(PrintStream out) {
    this.out = out;
  }

  /** A bar only where someone watches: an interactive terminal, not a log file or a pipe. */
  static ProgressBar forTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return null;
    }
    try {
      // Java 22+ returns a Console even when redirected; isTerminal() tells the difference.
      Object terminal = java.io.Console.class.getMethod("isTerminal").invoke(console);
      if (Boolean.FALSE.equals(terminal)) {
        return null;
      }
    } catch (ReflectiveOperationException e) {
      // Java 17-21: a non-null console is a terminal.
    }
    return new ProgressBar(System.err);
  }

  /**
   * @param total images to produce in all, or <= 0 when unbounded (no bar, no ETA)
   */
  static String render(long done, long total, double imagesPerSecond, String suffix) {
    StringBuilder line = new StringBuilder();
    if (total > 0) {
      double fraction = Math.min(1, (double) done / total);
      int filled = (int) Math.round(fraction * WIDTH);
      line.append('[')
          .append("=".repeat(filled))
          .append(filled < WIDTH ? ">" : "")
          .append(" ".repeat(Math.max(0, WIDTH - filled - 1)))
          .append("] ")
          .append(String.format(Locale.ROOT, "%5.1f%% ", 100 * fraction));
      line.append(String.format(Locale.ROOT, "%,d/%,d images", done, total));
    } else {
      line.append(String.format(Locale.ROOT, "%,d images", done));
    }
    line.append(String.format(Locale.ROOT, "  %,.0f img/s", imagesPerSecond));
    if (total > 0) {
      line.append("  ETA ")
          .append(imagesPerSecond > 0 ? duration((total - done) / imagesPerSecond) : "--:--");
    }
    if (suffix != null && !suffix.isEmpty()) {
      line.append("  ").append(suffix);
    }
    return line.toString();
  }

  static String duration(double seconds) {
    long s = Math.max(0, Math.round(seconds));
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }

  void draw(String line) {
    int pad = Math.max(0, lastLength - line.length());
    out.print("\r" + line + " ".repeat(pad));
    out.flush();
    lastLength = line.length();
  }

  void finish() {
    if (lastLength > 0) {
      out.println();
    }
  }
}
