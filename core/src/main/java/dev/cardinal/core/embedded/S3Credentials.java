package dev.cardinal.core.embedded;

import dev.cardinal.core.config.SecretFile;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

/**
 * The key pair that signs requests to the embedded S3 server. Keys given by the operator win;
 * without them, the first start on a data directory generates a random pair and keeps it in a file
 * there (mode 600), so every later start, and every tool pointed at that directory, uses the same
 * pair. Nothing here logs or prints a key.
 *
 * @param generated true when this call created the pair
 * @param file where a generated pair is kept; null when the operator gave the keys
 */
public record S3Credentials(String accessKey, String secretKey, boolean generated, Path file) {
  public static final String FILE_NAME = "s3-credentials";
  private static final String ACCESS = "accessKey";
  private static final String SECRET = "secretKey";

  @Override
  public String toString() {
    // Never print the secret.
    return "S3Credentials[" + (file == null ? "given" : file) + "]";
  }

  /**
   * @param accessKey the operator's access key, or null/blank
   * @param secretKey the operator's secret key, or null/blank
   * @param dir the data directory where a generated pair is kept
   * @throws IllegalArgumentException when only one of the two keys is given
   * @throws IllegalStateException when the key file cannot be read or written, saying which
   */
  public static S3Credentials resolve(String accessKey, String secretKey, Path dir) {
    boolean hasAccess = accessKey != null && !accessKey.isBlank();
    boolean hasSecret = secretKey != null && !secretKey.isBlank();
    if (hasAccess && hasSecret) {
      return new S3Credentials(accessKey.strip(), secretKey.strip(), false, null);
    }
    if (hasAccess || hasSecret) {
      throw new IllegalArgumentException(
          "only the S3 "
              + (hasAccess ? "access" : "secret")
              + " key is given: give both --s3-access-key and --s3-secret-key"
              + " (CARDINAL_S3_ACCESS_KEY and CARDINAL_S3_SECRET_KEY), or neither to have a pair"
              + " generated and kept in the data directory");
    }
    Path file = dir.resolve(FILE_NAME);
    try {
      if (Files.exists(file)) {
        return read(file);
      }
      if (!SecretFile.createOwnerOnly(file)) {
        // Another process on the same data directory was first: use its pair.
        return read(file);
      }
      SecureRandom random = new SecureRandom();
      String access = "cardinal-" + randomHex(random, 8);
      String secret = randomHex(random, 24);
      Properties props = new Properties();
      props.setProperty(ACCESS, access);
      props.setProperty(SECRET, secret);
      try (Writer out =
          Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.WRITE)) {
        props.store(out, "keys of the embedded S3 server of this data directory; keep private");
      }
      return new S3Credentials(access, secret, true, file);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot keep the embedded S3 server's keys in "
              + file
              + ": "
              + e.getMessage()
              + " (make --data-dir writable, or give --s3-access-key and --s3-secret-key)",
          e);
    }
  }

  private static String randomHex(SecureRandom random, int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static S3Credentials read(Path file) throws IOException {
    Properties props = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      props.load(in);
    }
    String access = props.getProperty(ACCESS, "").strip();
    String secret = props.getProperty(SECRET, "").strip();
    if (access.isEmpty() || secret.isEmpty()) {
      throw new IOException(
          "the file lacks " + ACCESS + " or " + SECRET + "; delete it to generate a new pair");
    }
    return new S3Credentials(access, secret, false, file);
  }
}
