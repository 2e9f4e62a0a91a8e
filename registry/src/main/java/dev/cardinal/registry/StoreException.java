package dev.cardinal.registry;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * A failure of the registry database, its message free of credentials. It tells the two kinds of
 * failure apart because their callers must act differently: while the database is unavailable
 * (down, restarting, locked by another process) every call fails and the same call works later, so
 * ingest waits; a statement the database refuses fails again for the same input, so ingest gives
 * that record up after a few tries.
 */
public final class StoreException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final boolean unavailable;

  StoreException(String message, Throwable cause) {
    super(message, cause);
    this.unavailable = isUnavailable(cause);
  }

  /** True when the database could not be reached or locked: the same call may work later. */
  public boolean unavailable() {
    return unavailable;
  }

  static boolean isUnavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException
          || t instanceof SQLNonTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLiteException s) {
        SQLiteErrorCode code = s.getResultCode();
        int primary = code == null ? -1 : code.code & 0xff;
        // SQLITE_BUSY, SQLITE_LOCKED: another connection held the lock past the busy timeout.
        if (primary == 5 || primary == 6) {
          return true;
        }
      } else if (t instanceof SQLException s && s.getSQLState() != null) {
        String state = s.getSQLState();
        // 08: connection exceptions; 57P01-57P03: the server is shutting down or starting up.
        if (state.startsWith("08") || state.startsWith("57P")) {
          return true;
        }
      }
    }
    return false;
  }
}
