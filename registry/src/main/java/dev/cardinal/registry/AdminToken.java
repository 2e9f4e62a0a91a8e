package dev.cardinal.registry;

import dev.cardinal.core.config.SecretFile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The bearer token that authorizes alias and tag changes. One given by the operator wins; without
 * one, the first start generates a token and keeps it in a file under the data directory, so it
 * stays the same across restarts and is shown only when it is created.
 *
 * @param generated true when this call created the token (the caller prints it once)
 * @param file where a generated token is kept; null when the operator gave the token
 */
public record AdminToken(String value, boolean generated, Path file) {
  public static final String FILE_NAME = "registry-admin-token";

  /** Shorter tokens can be guessed or brute-forced; a generated one has 43 characters. */
  public static final int MIN_LENGTH = 32;

  @Override
  public String toString() {
    return "AdminToken[" + (file == null ? "given" : file) + "]";
  }

  /**
   * @param given the operator's token, or null/blank to use (or create) the one in {@code dir}
   * @param dir the data directory
   * @throws IllegalArgumentException when the operator's token is shorter than {@link #MIN_LENGTH}
   * @throws IllegalStateException when the token file cannot be read or written, saying which
   */
  public static AdminToken resolve(String given, Path dir) {
    if (given != null && !given.isBlank()) {
      return new AdminToken(requireStrong(given.strip()), false, null);
    }
    Path file = dir.resolve(FILE_NAME);
    try {
      if (Files.exists(file)) {
        return new AdminToken(read(file), false, file);
      }
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
      if (!SecretFile.createOwnerOnly(file)) {
        // Another instance on the same data directory was first: use its token.
        return new AdminToken(read(file), false, file);
      }
      Files.writeString(file, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE);
      return new AdminToken(token, true, file);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot keep the registry admin token in "
              + file
              + ": "
              + e.getMessage()
              + " (make --data-dir writable or give --admin-token / CARDINAL_REGISTRY_TOKEN)",
          e);
    }
  }

  /**
   * The token, when it is long enough to trust.
   *
   * @throws IllegalArgumentException saying how long it is and how to make a good one
   */
  public static String requireStrong(String token) {
    if (token.strip().length() < MIN_LENGTH) {
      throw new IllegalArgumentException(
          "the registry admin token has "
              + token.strip().length()
              + " characters; it needs at least "
              + MIN_LENGTH
              + ": give a random one (e.g. the output of 'openssl rand -base64 32') through"
              + " --admin-token / CARDINAL_REGISTRY_TOKEN, or leave both unset to have one"
              + " generated and kept in the data directory");
    }
    return token;
  }

  /**
   * Shows a token this start generated, once, on the operator's terminal. It goes to the given
   * stream (stderr) and never through the logger: logs are shipped and kept where a token must not
   * be. Later starts print nothing; the token stays readable in {@link #file()}.
   */
  public void printIfGenerated(PrintStream terminal) {
    if (generated) {
      terminal.println("Registry admin token (shown once; kept in " + file + "): " + value);
      terminal.flush();
    }
  }

  private static String read(Path file) throws IOException {
    String token = Files.readString(file, StandardCharsets.UTF_8).strip();
    if (token.isEmpty()) {
      throw new IOException("the token file is empty; delete it to generate a new token");
    }
    return token;
  }
}
