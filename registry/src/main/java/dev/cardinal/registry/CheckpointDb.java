package dev.cardinal.registry;

import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The registry's SQL store: checkpoints and evaluations materialized from their topics, plus the
 * aliases and tags users set through the API. One entry point over parts with one job each: the
 * schema ({@link StoreSchema}), the connections ({@link StoreConnections}: readers in parallel, one
 * writer), event writing ({@link EventWriter}), annotations ({@link Annotations}), listings ({@link
 * Listings}, SQL from {@link ListingSql}) and summaries ({@link Summaries}).
 *
 * <p>Safe for use from many threads: queries run in parallel, changes one at a time.
 */
public final class CheckpointDb implements AutoCloseable {
  static final List<String> METRICS = ListingSql.METRICS;

  /** Connections answering queries at the same time: SQLite reads scale with the cores. */
  private static final int READERS =
      Math.max(4, Math.min(16, 2 * Runtime.getRuntime().availableProcessors()));

  private final StoreConnections connections;
  private final Annotations annotations;
  private final Listings listings;
  private final Summaries summaries;

  private CheckpointDb(StoreConnections connections) {
    this.connections = connections;
    this.annotations = new Annotations(connections);
    this.listings = new Listings(connections);
    this.summaries = new Summaries(connections);
  }

  /**
   * Opens (creating if needed) the store and brings its schema to the current version.
   *
   * @param database a SQLite file path or a JDBC URL
   * @param deleteFirst start from an empty store (rebuild from the topics): delete the SQLite file,
   *     or empty the tables of a server database
   * @throws IllegalStateException saying which database could not be opened and why
   */
  public static CheckpointDb open(String database, boolean deleteFirst) {
    String url = database.startsWith("jdbc:") ? database : "jdbc:sqlite:" + database;
    StoreConnections connections = null;
    try {
      Path file = prepareSqliteFile(url, deleteFirst);
      StoreSchema.migrate(url);
      connections = StoreConnections.open(url, READERS);
      CheckpointDb db = new CheckpointDb(connections);
      if (deleteFirst && file == null) {
        db.emptyTables();
      }
      return db;
    } catch (IOException | RuntimeException e) {
      if (connections != null) {
        connections.close();
      }
      throw new IllegalStateException(
          "cannot open the registry database "
              + Redact.credentials(url)
              + ": "
              + Redact.credentials(e.getMessage())
              + " (check --database: a writable SQLite file path or a reachable JDBC URL)",
          e);
    }
  }

  /**
   * The SQLite file of a URL, its folder created and, for a rebuild, the old file and its WAL
   * deleted; null for a server database.
   *
   * @throws IllegalArgumentException for an in-memory SQLite database, which a pool cannot share
   */
  private static Path prepareSqliteFile(String url, boolean deleteFirst) throws IOException {
    if (!url.startsWith("jdbc:sqlite:")) {
      return null;
    }
    String rest = url.substring("jdbc:sqlite:".length());
    int query = rest.indexOf('?');
    if (query >= 0) {
      rest = rest.substring(0, query);
    }
    if (rest.isEmpty() || rest.equals(":memory:") || rest.startsWith("file::memory:")) {
      // Each connection of the pool would open a database of its own.
      throw new IllegalArgumentException(
          "an in-memory SQLite database cannot be shared by the registry's connections:"
              + " give a file path");
    }
    Path file = Path.of(rest.startsWith("file:") ? rest.substring(5) : rest);
    if (deleteFirst) {
      for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
        Files.deleteIfExists(Path.of(file + suffix));
      }
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    return file;
  }

  /** A server database is not ours to delete: a rebuild empties its tables, as a new file is. */
  private void emptyTables() {
    connections.write(
        c -> {
          try (Statement s = c.createStatement()) {
            for (String table : List.of("evaluations", "checkpoints", "aliases", "tags")) {
              s.executeUpdate("DELETE FROM " + table);
            }
          }
          return null;
        });
  }

  public String url() {
    return connections.url();
  }

  // ---------------------------------------------------------------- writes from the topics

  /**
   * Applies checkpoint and evaluation events in order, in one transaction: when this returns they
   * are durable and their Kafka records may be acknowledged.
   *
   * @throws IllegalArgumentException for an element that is neither event type
   * @throws StoreException when the database fails; {@link StoreException#unavailable()} tells a
   *     database that could not be reached from one that refused the events
   */
  public void applyAll(List<?> events) {
    if (events.isEmpty()) {
      return;
    }
    connections.write(
        c -> {
          EventWriter.apply(c, events);
          return null;
        });
  }

  public void upsertCheckpoint(CheckpointEvent event) {
    applyAll(List.of(event));
  }

  public void upsertEvaluation(EvaluationEvent event) {
    applyAll(List.of(event));
  }

  // ---------------------------------------------------------------- aliases and tags

  /**
   * Points {@code alias} of a run at a step, replacing where it pointed before.
   *
   * @throws ApiException 404 when the run has no such checkpoint
   */
  public void setAlias(String run, String alias, long step) {
    annotations.setAlias(run, alias, step);
  }

  /** Removes an alias; true when it existed. */
  public boolean removeAlias(String run, String alias) {
    return annotations.removeAlias(run, alias);
  }

  /** The step an alias points at. */
  public Optional<Long> alias(String run, String alias) {
    return annotations.alias(run, alias);
  }

  /** Every alias of a run, alias to step. */
  public Map<String, Long> aliases(String run) {
    return annotations.aliases(run);
  }

  /**
   * Tags a checkpoint (tagging twice is harmless).
   *
   * @throws ApiException 404 when there is no such checkpoint
   */
  public void addTag(String run, long step, String tag) {
    annotations.addTag(run, step, tag);
  }

  /** Removes a tag; true when the checkpoint had it. */
  public boolean removeTag(String run, long step, String tag) {
    return annotations.removeTag(run, step, tag);
  }

  // ---------------------------------------------------------------- queries

  /** A page of checkpoints in the query's order, with their evaluations. */
  public Views.Page list(CheckpointQuery q) {
    return listings.list(q);
  }

  /**
   * Scored evaluations of existing checkpoints, by run and step: what the UI draws as top-1 over
   * steps. At most {@code limit} rows, the latest steps of each run when there are more.
   */
  public List<Views.EvaluationPoint> evaluationPoints(String run, int limit) {
    return listings.evaluationPoints(run, limit);
  }

  /** One checkpoint (also a deleted one) with its evaluations. */
  public Optional<Views.Checkpoint> find(String run, long step) {
    return listings.find(run, step);
  }

  /** The run's checkpoint at its highest step (also a deleted one), with its evaluations. */
  public Optional<Views.Checkpoint> latest(String run) {
    CheckpointQuery q =
        CheckpointQuery.all()
            .withRun(run)
            .withIncludeDeleted(true)
            .withLimit(1)
            .withScores(null, null, null, null, null, "step", true);
    return list(q).checkpoints().stream().findFirst();
  }

  /** Every run with a summary, most recently active first. */
  public List<Views.Run> runs() {
    return summaries.runs();
  }

  /**
   * The run's best existing checkpoint by an evaluation metric: highest top1/top5, lowest nll.
   *
   * @param resolution only evaluations at this resolution, or null for any
   * @param weights only {@code raw} or {@code ema} evaluations, or null for either
   * @throws ApiException 400 for a metric other than top1, top5, nll
   */
  public Optional<Views.Best> best(String run, String metric, Integer resolution, String weights) {
    return summaries.best(run, metric, resolution, weights);
  }

  /** Rows in the checkpoint table, deleted ones included. */
  public long checkpointCount() {
    return summaries.checkpointCount();
  }

  public long evaluationCount() {
    return summaries.evaluationCount();
  }

  /** Package-private for tests that hold a reader or the writer to show what runs beside it. */
  StoreConnections connections() {
    return connections;
  }

  @Override
  public void close() {
    // Every commit was already durable; closing only releases the connections.
    connections.close();
  }
}
