package dev.cardinal.registry;

import dev.cardinal.registry.migration.V2__Later_evaluation_columns;
import org.flywaydb.core.Flyway;

/**
 * The registry's tables, brought to the current version by Flyway's versioned migrations ({@code
 * db/registry/V*.sql} and {@link V2__Later_evaluation_columns}). Flyway 10 and later keeps SQLite
 * support in flyway-core; PostgreSQL needs flyway-database-postgresql on the class path.
 *
 * <p>A database of a registry from before migrations holds the four tables of {@code V1} and no
 * history table: it is baselined at version 1 and the later migrations, written to tolerate what
 * that registry may already have added, bring it up to date.
 */
final class StoreSchema {
  static final String HISTORY_TABLE = "registry_schema_history";

  private StoreSchema() {}

  /**
   * Migrates the database to the current schema, over connections of its own: Flyway may hold two
   * at once (one for its lock and history), which a pool of one writer could not give it.
   */
  static void migrate(String url) {
    Flyway.configure(StoreSchema.class.getClassLoader())
        .dataSource(url, null, null)
        .locations("classpath:db/registry")
        .javaMigrations(new V2__Later_evaluation_columns())
        .table(HISTORY_TABLE)
        .baselineOnMigrate(true)
        .baselineVersion("1")
        .baselineDescription("tables of a registry from before migrations")
        .load()
        .migrate();
  }
}
