package dev.cardinal.registry;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The registry database's connections: a pool of readers that answer queries in parallel and one
 * writer that applies every change, so writes never contend with each other (SQLite allows one
 * writer at a time anyway) and a long write never holds up a query. On SQLite the file is in WAL
 * mode, where readers see the last commit while the writer works; PostgreSQL does that by itself.
 *
 * <p>Connections that die (the server restarted) are replaced by the pool on their next use, so
 * calls fail while the database is down and work again once it is back, without a restart.
 */
final class StoreConnections implements AutoCloseable {
  /** How long a query waits for a free reader, or for the database to come back, before failing. */
  private static final long READ_WAIT_MS = 5_000;

  private static final long WRITE_WAIT_MS = 10_000;

  /**
   * How long a SQLite connection waits for another process's lock. The writer waits long: within
   * this process it is the only writer, so only an outside tool (a backup) can hold the lock.
   */
  private static final int SQLITE_READ_BUSY_MS = 5_000;

  private static final int SQLITE_WRITE_BUSY_MS = 30_000;

  /**
   * Page cache of each SQLite reader, in KiB (SQLite's default is 2 MiB). Ten thousand checkpoints
   * with their evaluations and indexes are some 15 MiB, so a listing that visits one run's rows,
   * spread over the whole table, would otherwise read most of its pages from the file again.
   */
  private static final int SQLITE_READ_CACHE_KIB = 16 * 1024;

  /**
   * How much of the SQLite file readers map into memory: mapped pages are read in place from the
   * operating system's cache instead of being copied by a system call each time SQLite's own cache
   * misses. Address space, not memory; a larger file is read as before beyond it.
   */
  private static final long SQLITE_MMAP_BYTES = 256L * 1024 * 1024;

  private final String url;
  private final HikariDataSource readers;
  private final HikariDataSource writer;

  private StoreConnections(String url, HikariDataSource readers, HikariDataSource writer) {
    this.url = url;
    this.readers = readers;
    this.writer = writer;
  }

  /**
   * @param readerCount connections answering queries at the same time
   * @throws StoreException when the database cannot be reached
   */
  static StoreConnections open(String url, int readerCount) {
    boolean sqlite = url.startsWith("jdbc:sqlite:");
    // The writer first: on SQLite it switches the file to WAL mode, which needs the file alone.
    HikariDataSource writer = pool(url, sqlite, "registry-writer", 1, true);
    try {
      HikariDataSource readers = pool(url, sqlite, "registry-readers", readerCount, false);
      return new StoreConnections(url, readers, writer);
    } catch (RuntimeException e) {
      writer.close();
      throw e;
    }
  }

  private static HikariDataSource pool(
      String url, boolean sqlite, String name, int size, boolean writes) {
    long waitMs = writes ? WRITE_WAIT_MS : READ_WAIT_MS;
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(waitMs);
    // Fail at start when the database is unreachable, saying so, rather than on the first query.
    config.setInitializationFailTimeout(waitMs);
    if (sqlite) {
      // Settings of each SQLite connection, read by the driver from its connection properties.
      config.addDataSourceProperty("journal_mode", "WAL");
      // An acknowledged Kafka record must survive a crash: fsync every commit.
      config.addDataSourceProperty("synchronous", "FULL");
      config.addDataSourceProperty(
          "busy_timeout", Integer.toString(writes ? SQLITE_WRITE_BUSY_MS : SQLITE_READ_BUSY_MS));
      if (!writes) {
        config.addDataSourceProperty("cache_size", Integer.toString(-SQLITE_READ_CACHE_KIB));
        config.addDataSourceProperty("mmap_size", Long.toString(SQLITE_MMAP_BYTES));
      }
    }
    try {
      return new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new StoreException(
          "cannot connect to the registry database "
              + Redact.credentials(url)
              + ": "
              + Redact.credentials(rootMessage(e)),
          e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  String url() {
    return url;
  }

  /** A unit of work on one connection. */
  interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  /**
   * Runs a query on a reader. A reader that the server dropped since its last use fails once: the
   * query runs again on a fresh connection (the pool evicts the dead one), since a query changes
   * nothing. No free connection at all (the database is down) fails at once.
   */
  <T> T read(SqlWork<T> work) {
    try {
      for (int attempt = 1; ; attempt++) {
        try (Connection connection = readers.getConnection()) {
          try {
            return work.run(connection);
          } catch (SQLException e) {
            if (attempt > 1 || !StoreException.isUnavailable(e)) {
              throw e;
            }
          }
        }
      }
    } catch (SQLException e) {
      throw failed(e);
    }
  }

  /** Runs work on the writer in one transaction: all of it is committed, or none of it. */
  <T> T write(SqlWork<T> work) {
    try (Connection connection = writer.getConnection()) {
      connection.setAutoCommit(false);
      try {
        T result = work.run(connection);
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        // The pool restores auto-commit when the connection comes back to it.
        rollbackQuietly(connection, e);
        throw e;
      }
    } catch (SQLException e) {
      throw failed(e);
    }
  }

  private static void rollbackQuietly(Connection connection, Exception cause) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      // The connection is likely gone, which rolls the transaction back as well.
      cause.addSuppressed(e);
    }
  }

  /** A SQL failure for the log: which database (without its credentials) and what went wrong. */
  StoreException failed(SQLException e) {
    return new StoreException(
        "registry database "
            + Redact.credentials(url)
            + " failed: "
            + Redact.credentials(e.getMessage()),
        e);
  }

  @Override
  public void close() {
    readers.close();
    writer.close();
  }
}
