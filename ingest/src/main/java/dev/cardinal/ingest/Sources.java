package dev.cardinal.ingest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Turns a {@code --source} value into a {@link DataSource}: the one parser of the syntax. */
public final class Sources {
  /** Where Debian's {@code dataset-fashion-mnist} package puts the IDX files. */
  public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  /** For {@code --help}: the accepted forms. */
  public static final String SYNTAX =
      "idx:PATH | cifar:PATH | folder:PATH | watch:PATH | synthetic[:N]";

  static final long SYNTHETIC_DEFAULT_TRAIN = 20_000;
  static final int SYNTHETIC_SIDE = 32;
  static final int SYNTHETIC_CLASSES = 10;

  private Sources() {}

  /**
   * Opens the dataset a spec names.
   *
   * @throws IllegalArgumentException with one line saying what is wrong (unknown scheme, missing
   *     path, empty folder, no usable files)
   */
  public static DataSource parse(String spec, SourceSettings settings) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("--source is empty: use " + SYNTAX);
    }
    String trimmed = spec.trim();
    int colon = trimmed.indexOf(':');
    String scheme = (colon < 0 ? trimmed : trimmed.substring(0, colon)).toLowerCase(Locale.ROOT);
    String rest = colon < 0 ? "" : trimmed.substring(colon + 1).trim();
    if (scheme.equals("synthetic")) {
      return synthetic(trimmed, rest, settings);
    }
    if (!List.of("idx", "cifar", "folder", "watch").contains(scheme)) {
      throw new IllegalArgumentException(
          "--source '" + trimmed + "': unknown kind '" + scheme + "'; use " + SYNTAX);
    }
    if (rest.isEmpty()) {
      throw new IllegalArgumentException(
          "--source '"
              + trimmed
              + "': give the dataset folder after '"
              + scheme
              + ":', e.g. "
              + scheme
              + ":/data/"
              + (scheme.equals("idx") ? "fashion-mnist" : "images"));
    }
    Path path = path(rest);
    return switch (scheme) {
      case "idx" -> IdxSource.open(path);
      case "cifar" -> CifarSource.open(path);
      case "folder" -> FolderSource.open(path, settings);
      default -> WatchSource.open(path, settings);
    };
  }

  /** Fashion-MNIST when Debian's package is installed, else synthetic data. */
  public static String defaultSpec() {
    return defaultSpec(FASHION_MNIST);
  }

  static String defaultSpec(Path fashionMnist) {
    for (String name : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte")) {
      if (!Files.isRegularFile(fashionMnist.resolve(name + ".gz"))
          && !Files.isRegularFile(fashionMnist.resolve(name))) {
        return "synthetic";
      }
    }
    return "idx:" + fashionMnist;
  }

  private static Path path(String text) {
    if (text.equals("~") || text.startsWith("~/")) {
      text = System.getProperty("user.home") + text.substring(1);
    }
    return Path.of(text);
  }

  private static DataSource synthetic(String spec, String count, SourceSettings settings) {
    long trainSize = SYNTHETIC_DEFAULT_TRAIN;
    if (!count.isEmpty()) {
      try {
        trainSize = Long.parseLong(count.replace("_", ""));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--source "
                + spec
                + ": the count after 'synthetic:' must be a whole number, e.g. synthetic:20000");
      }
      if (trainSize <= 0) {
        throw new IllegalArgumentException("--source " + spec + ": the image count must be > 0");
      }
    }
    return new SyntheticSource(
        settings.seed(),
        trainSize,
        Math.max(256, Math.min(2000, trainSize / 10)),
        SYNTHETIC_SIDE,
        SYNTHETIC_CLASSES);
  }
}
