package dev.cardinal.registry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
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

  @Override
  public String toString() {
    return "AdminToken[" + (file == null ? "given" : file) + "]";
  }

  /**
   * @param given the operator's token, or null/blank to use (or create) the one in {@code dir}
   * @param dir the data directory
   * @throws IllegalStateException when the token file cannot be read or written, saying which
   */
  public static AdminToken resolve(String given, Path dir) {
    if (given != null && !given.isBlank()) {
      return new AdminToken(given.strip(), false, null);
    }
    Path file = dir.resolve(FILE_NAME);
    try {
      if (Files.exists(file)) {
        return new AdminToken(read(file), false, file);
      }
      Files.createDirectories(dir);
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
      try {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(file);
      } catch (FileAlreadyExistsException e) {
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

  private static String read(Path file) throws IOException {
    String token = Files.readString(file, StandardCharsets.UTF_8).strip();
    if (token.isEmpty()) {
      throw new IOException("the token file is empty; delete it to generate a new token");
    }
    return token;
  }
}
