package dev.cardinal.core.config;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Files that keep a generated secret (a key pair, a token) in a data directory. */
public final class SecretFile {
  private SecretFile() {}

  /**
   * Creates {@code file}, and the folders above it, readable and writable by its owner only where
   * the file system has POSIX permissions.
   *
   * @return false when another process on the same data directory created it first: read its secret
   *     rather than writing another
   */
  public static boolean createOwnerOnly(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    } catch (FileAlreadyExistsException e) {
      return false;
    }
    return true;
  }
}
