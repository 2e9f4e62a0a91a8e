package dev.cardinal.ingest;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** File helpers the dataset readers share: checked opening, gzip-tolerant reading, stable ids. */
final class DatasetFiles {
  /** Sample ids of eval images start here, so they never collide with train ids. */
  static final long EVAL_ID_BASE = 1L << 40;

  private DatasetFiles() {}

  /**
   * The dataset folder, or a one-line {@link IllegalArgumentException} saying what is wrong with
   * it.
   */
  static Path existingFolder(String scheme, Path path) {
    if (!Files.exists(path)) {
      throw new IllegalArgumentException(
          scheme + ":" + path + ": no such folder (check the path after '" + scheme + ":')");
    }
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException(
          scheme + ":" + path + ": is a file; give the folder that holds the dataset files");
    }
    if (!Files.isReadable(path)) {
      throw new IllegalArgumentException(scheme + ":" + path + ": folder is not readable");
    }
    try (var entries = Files.list(path)) {
      if (entries.findAny().isEmpty()) {
        throw new IllegalArgumentException(scheme + ":" + path + ": folder is empty");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(scheme + ":" + path + ": cannot list folder: " + e);
    }
    return path.toAbsolutePath().normalize();
  }

  /**
   * The entries of a dataset folder in name order (so that a dataset reads the same on every
   * machine), or a one-line {@link IllegalArgumentException} naming the path the user gave.
   */
  static List<Path> sortedEntries(String scheme, Path path, Path folder) {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries.sorted().toList();
    } catch (IOException e) {
      throw new IllegalArgumentException(scheme + ":" + path + ": cannot list folder: " + e);
    }
  }

  /** The bytes of a file as a stream, gunzipped when its name ends in .gz. */
  static InputStream open(Path file) throws IOException {
    InputStream raw = Files.newInputStream(file);
    if (!file.getFileName().toString().endsWith(".gz")) {
      return raw;
    }
    try {
      return new GZIPInputStream(raw, 1 << 16);
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  /**
   * Up to {@code limit} bytes of a stream, and whether more follow. Memory grows with the bytes
   * actually read, never with the limit, so a header's promise allocates nothing by itself. A
   * cut-off gzip stream keeps what came before the cut.
   */
  static Contents readUpTo(InputStream in, int limit) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(limit, 1 << 16));
    byte[] buffer = new byte[1 << 16];
    try {
      while (out.size() < limit) {
        int n = in.read(buffer, 0, Math.min(buffer.length, limit - out.size()));
        if (n < 0) {
          return new Contents(out.toByteArray(), false, false);
        }
        out.write(buffer, 0, n);
      }
      return new Contents(out.toByteArray(), false, in.read() >= 0);
    } catch (EOFException | ZipException e) {
      // A partial download: what came before the cut is still good data.
      return new Contents(out.toByteArray(), true, false);
    }
  }

  /**
   * @param cutOff the gzip stream ended mid-way
   * @param more bytes follow the {@code limit} read
   */
  record Contents(byte[] bytes, boolean cutOff, boolean more) {}

  /**
   * A dataset id: the kind, the folder's name and eight hex digits of what identifies this instance
   * of the dataset (its path and shape), so that another copy or a changed one gets another id.
   */
  static String datasetId(String kind, Path folder, List<String> identity) {
    return kind + "-" + safeName(folder) + "-" + shortHash(identity);
  }

  private static String shortHash(List<String> parts) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (String part : parts) {
        digest.update(part.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
      }
      return HexFormat.of().formatHex(digest.digest(), 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A well-mixed 64-bit hash of a string, stable across JVMs (unlike String.hashCode spread). */
  static long stableHash(String text) {
    long h = 0xcbf29ce484222325L;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h;
  }

  /** Whether a file is held out for eval: a deterministic function of its relative path. */
  static boolean heldOut(String relativePath, double fraction) {
    if (fraction <= 0) {
      return false;
    }
    double unit = (stableHash(relativePath) >>> 11) * 0x1.0p-53;
    return unit < fraction;
  }

  private static String safeName(Path folder) {
    Path name = folder.getFileName();
    return name == null ? "root" : name.toString().replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
