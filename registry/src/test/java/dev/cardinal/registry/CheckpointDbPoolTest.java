package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.checkpoint;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's connections: queries run on readers in parallel with each other and with the writer.
 * Before the pool, one synchronized connection made every query wait for the one before it.
 */
class CheckpointDbPoolTest {
  /** Only a guard against a hang: what is checked is the order of events, not their speed. */
  private static final long GUARD_S = 60;

  @TempDir Path dir;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final CountDownLatch release = new CountDownLatch(1);
  private CheckpointDb db;

  @AfterEach
  void close() {
    release.countDown();
    threads.shutdownNow();
    if (db != null) {
      db.close();
    }
  }

  @Test
  void queriesAnswerWhileAReaderAndTheWriterAreHeld() throws Exception {
    db = CheckpointDb.open(dir.resolve("registry.db").toString(), false);
    db.upsertCheckpoint(checkpoint("r", 100, 1_000));

    // A reader held in the middle of a query, as a slow listing would hold it.
    CountDownLatch readerHeld = new CountDownLatch(1);
    Future<Long> heldRead =
        threads.submit(
            () ->
                db.connections()
                    .read(thenHold(readerHeld, CheckpointDbPoolTest::countCheckpoints)));
    // The writer held in the middle of a transaction that has written a row, not yet committed.
    CountDownLatch writerHeld = new CountDownLatch(1);
    Future<Object> heldWrite =
        threads.submit(
            () ->
                db.connections()
                    .write(
                        thenHold(
                            writerHeld,
                            c -> {
                              EventWriter.apply(c, List.of(checkpoint("r", 200, 2_000)));
                              return null;
                            })));
    assertThat(readerHeld.await(GUARD_S, TimeUnit.SECONDS)).as("the reader is held").isTrue();
    assertThat(writerHeld.await(GUARD_S, TimeUnit.SECONDS)).as("the writer is held").isTrue();

    // Several queries at once, while both are held: each answers, from the last commit.
    List<Future<?>> queries = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      queries.add(threads.submit(() -> db.list(CheckpointQuery.all())));
      queries.add(threads.submit(() -> db.find("r", 100).orElseThrow()));
      queries.add(threads.submit(db::runs));
    }
    for (Future<?> query : queries) {
      try {
        query.get(GUARD_S, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError(
            "a query waited for the held reader or writer: queries are not answered in parallel",
            e);
      }
    }
    assertThat(db.list(CheckpointQuery.all()).checkpoints())
        .as("the uncommitted row of the held write is not seen")
        .extracting(c -> c.stored().step())
        .containsExactly(100L);
    assertThat(heldRead).isNotDone();
    assertThat(heldWrite).isNotDone();

    release.countDown();
    assertThat(heldRead.get(GUARD_S, TimeUnit.SECONDS)).isEqualTo(1L);
    heldWrite.get(GUARD_S, TimeUnit.SECONDS);
    assertThat(db.list(CheckpointQuery.all()).checkpoints())
        .extracting(c -> c.stored().step())
        .containsExactly(200L, 100L);
  }

  /** The work, then: says its connection is held, and holds it until the test releases it. */
  private <T> StoreConnections.SqlWork<T> thenHold(
      CountDownLatch held, StoreConnections.SqlWork<T> work) {
    return c -> {
      T result = work.run(c);
      held.countDown();
      try {
        if (!release.await(GUARD_S, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never released the held connection");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      return result;
    };
  }

  private static long countCheckpoints(java.sql.Connection c) throws java.sql.SQLException {
    try (var s = c.createStatement();
        var rs = s.executeQuery("SELECT COUNT(*) FROM checkpoints")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
