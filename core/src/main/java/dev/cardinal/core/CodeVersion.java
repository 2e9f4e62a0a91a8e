package dev.cardinal.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The version of the code that is running: the project version and the git commit it was built
 * from, e.g. {@code 0.1.0-SNAPSHOT+ed64259}, with {@code .dirty} when the checkout had uncommitted
 * changes. Checkpoint manifests record it, so a checkpoint can be traced to the code that trained
 * it. Read from {@code git.properties}, which the build writes into core's classes.
 */
public final class CodeVersion {
  private static final String RESOURCE = "/dev/cardinal/core/git.properties";
  private static final String VALUE = read();

  private CodeVersion() {}

  public static String get() {
    return VALUE;
  }

  static String read() {
    Properties properties = new Properties();
    try (InputStream in = CodeVersion.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      // Falls through to "unknown": a missing version must not stop training.
    }
    return format(
        properties.getProperty("git.build.version"),
        properties.getProperty("git.commit.id.abbrev"),
        Boolean.parseBoolean(properties.getProperty("git.dirty")));
  }

  static String format(String version, String commit, boolean dirty) {
    String base = version == null || version.isBlank() ? "unknown" : version;
    if (commit == null || commit.isBlank()) {
      return base;
    }
    return base + "+" + commit + (dirty ? ".dirty" : "");
  }
}
