package dev.cardinal.registry;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A throwaway PostgreSQL server for tests: {@code CARDINAL_TEST_POSTGRES_URL} when set, else a
 * cluster started from Debian's {@code postgresql} package in a temp folder (as the {@code
 * postgres} user when the tests run as root, since PostgreSQL refuses to run as root). Tests are
 * skipped, saying what is missing, when neither is possible. Public for the registry benchmark,
 * which runs its query mix on PostgreSQL too when one can be started.
 */
public final class TestPostgres implements AutoCloseable {
  private final String url;
  private final Path dir;
  private final List<String> asUser;
  private final Path bin;
  private final int port;

  private TestPostgres(String url, Path dir, List<String> asUser, Path bin, int port) {
    this.url = url;
    this.dir = dir;
    this.asUser = asUser;
    this.bin = bin;
    this.port = port;
  }

  public String url() {
    return url;
  }

  public static TestPostgres startOrSkip() throws Exception {
    String given = System.getenv("CARDINAL_TEST_POSTGRES_URL");
    if (given != null && !given.isBlank()) {
      return new TestPostgres(given, null, List.of(), null, -1);
    }
    Path bin = serverBin();
    Assumptions.assumeTrue(
        bin != null,
        "PostgreSQL test skipped: no server binaries under /usr/lib/postgresql/*/bin"
            + " (apt-get install -y postgresql) and CARDINAL_TEST_POSTGRES_URL is unset");
    List<String> asUser = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      Assumptions.assumeTrue(
          Files.isExecutable(Path.of("/usr/sbin/runuser"))
              || Files.isExecutable(Path.of("/sbin/runuser")),
          "PostgreSQL test skipped: tests run as root and runuser is missing to start the"
              + " server as the postgres user");
      asUser.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    Path dir =
        Files.createTempDirectory(
            "cardinal-pg",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
    // createTempDirectory applies the umask; the postgres user must be able to write here.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    TestPostgres pg =
        new TestPostgres(
            "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=cardinal",
            dir,
            asUser,
            bin,
            port);
    try {
      pg.run(
          bin.resolve("initdb").toString(),
          "-D",
          dir.resolve("data").toString(),
          "-A",
          "trust",
          "-U",
          "cardinal",
          "--no-sync",
          "-E",
          "UTF8");
      pg.start();
    } catch (IOException | IllegalStateException e) {
      pg.close();
      Assumptions.abort("PostgreSQL test skipped: could not start a server: " + e.getMessage());
    }
    return pg;
  }

  /**
   * Stops the server as an operator's restart does (fast: open connections are cut). Only for a
   * server this class started.
   */
  public void stop() throws IOException, InterruptedException {
    requireOwnServer();
    pgCtl("-m", "fast", "-w", "stop");
  }

  /** Starts the server on the same port and data, returning once it accepts connections. */
  public void start() throws IOException, InterruptedException {
    requireOwnServer();
    pgCtl(
        "-o",
        "-p " + port + " -k " + dir + " -h 127.0.0.1 -F",
        "-l",
        dir.resolve("log").toString(),
        "-w",
        "start");
  }

  /** True when this class started the server, so a test may stop and start it. */
  public boolean restartable() {
    return dir != null;
  }

  private void requireOwnServer() {
    if (dir == null) {
      throw new IllegalStateException(
          "the server at CARDINAL_TEST_POSTGRES_URL is not this test's to stop or start");
    }
  }

  private static Path serverBin() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return null;
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.naturalOrder())
          .orElse(null);
    }
  }

  /** pg_ctl on this class's data folder. */
  private void pgCtl(String... args) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString()));
    command.addAll(List.of(args));
    run(command.toArray(String[]::new));
  }

  private void run(String... command) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>(asUser);
    full.addAll(List.of(command));
    Process p =
        new ProcessBuilder(full)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("cmd.log").toFile())
            .start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", full) + " did not finish in 60 s");
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          String.join(" ", full) + " failed: " + Files.readString(dir.resolve("cmd.log")).strip());
    }
  }

  @Override
  public void close() throws Exception {
    if (dir == null) {
      return;
    }
    try {
      if (Files.exists(dir.resolve("data/postmaster.pid"))) {
        pgCtl("-m", "immediate", "stop");
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
