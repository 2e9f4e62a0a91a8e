package dev.cardinal.registry;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.AnnotationEvent;
import dev.cardinal.core.kafka.AnnotationLog;
import dev.cardinal.core.kafka.KafkaSender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the store's aliases and tags in line with {@code cardinal.annotations}, the record of
 * truth: the log is folded from its start on every start, so {@code --rebuild} (which empties the
 * store) gets them back. Each alias or tag the log touches is brought to what the fold says now,
 * which makes applying it twice, or after the API already did, harmless. One that names a
 * checkpoint the store does not have yet (a rebuild reads the checkpoint topic in parallel) waits
 * until more checkpoints arrive, without holding up the others.
 */
final class AnnotationSync implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AnnotationSync.class);
  private static final Duration PERIOD = Duration.ofMillis(250);

  /** An alias ({@code step} unused) or a tag of a checkpoint. */
  private record Key(AnnotationEvent.Kind kind, String run, long step, String name) {}

  private final KafkaSettings kafka;
  private final CheckpointDb db;
  private volatile AnnotationLog annotations;
  private final Set<Key> dirty = new LinkedHashSet<>();
  private final Set<Key> waiting = new LinkedHashSet<>();
  private final ScheduledExecutorService timer = Background.timer("registry-annotations");
  private final Object applying = new Object();
  private long checkpointsWhenParked = -1;

  AnnotationSync(KafkaSettings kafka, CheckpointDb db) {
    this.kafka = kafka;
    this.db = db;
  }

  /**
   * The log the API appends to: the same instance the sync folds, so both see one fold.
   *
   * @throws ApiException 503 before {@link #start}: the HTTP server listens before Kafka is checked
   */
  AnnotationLog annotations() {
    AnnotationLog log = annotations;
    if (log == null) {
      throw new ApiException(503, "the registry is still starting: try again in a few seconds");
    }
    return log;
  }

  /** Starts folding; {@code sender} is where the API's changes are produced. */
  void start(KafkaSender sender) {
    annotations = new AnnotationLog(kafka, sender, Duration.ofSeconds(30), this::touched);
    timer.scheduleWithFixedDelay(this::syncOnce, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Brings the store's alias or tag that {@code change} names to what the log says now: the API
   * calls this after appending, so its answer shows the change.
   */
  void applyNow(AnnotationEvent change) {
    Key key = key(change);
    if (key != null && !apply(key)) {
      synchronized (this) {
        dirty.add(key);
      }
    }
  }

  /** Called under the log's lock for each accepted annotation, in log order. */
  private void touched(AnnotationEvent e) {
    Key key = key(e);
    if (key != null) {
      synchronized (this) {
        dirty.add(key);
      }
    }
  }

  private static Key key(AnnotationEvent e) {
    return switch (e.kind()) {
      case ALIAS -> new Key(e.kind(), e.runId(), -1, e.name());
      case TAG -> new Key(e.kind(), e.runId(), e.step(), e.name());
      default -> null;
    };
  }

  private void syncOnce() {
    try {
      annotations.catchUp();
      List<Key> keys;
      long checkpoints;
      synchronized (this) {
        // Read before trying: a checkpoint stored while a key is tried changes the count later.
        checkpoints = db.checkpointCount();
        if (checkpoints != checkpointsWhenParked) {
          // New checkpoints may be the ones parked keys wait for.
          dirty.addAll(waiting);
          waiting.clear();
        }
        // Taken out before applying: an annotation folded meanwhile marks its key again.
        keys = new ArrayList<>(dirty);
        dirty.clear();
      }
      for (Key key : keys) {
        if (!apply(key)) {
          synchronized (this) {
            waiting.add(key);
            checkpointsWhenParked = checkpoints;
          }
        }
      }
    } catch (RuntimeException e) {
      if (Thread.currentThread().isInterrupted()) {
        return; // closing
      }
      log.warn(
          "Syncing aliases and tags from the annotations topic failed, retrying: {}", e.toString());
    }
  }

  /**
   * Brings one alias or tag of the store to the fold's value; false when its checkpoint is missing.
   * Serialized: each call reads the fold then writes, so the last write is from the newest fold and
   * two requests moving one alias cannot leave the store behind the log.
   */
  private boolean apply(Key key) {
    synchronized (applying) {
      return applyLocked(key);
    }
  }

  private boolean applyLocked(Key key) {
    if (key.kind() == AnnotationEvent.Kind.ALIAS) {
      OptionalLong wanted = annotations.alias(key.run(), key.name());
      Optional<Long> stored = db.alias(key.run(), key.name());
      if (wanted.isEmpty()) {
        if (stored.isPresent()) {
          db.removeAlias(key.run(), key.name());
        }
        return true;
      }
      if (stored.isPresent() && stored.get() == wanted.getAsLong()) {
        return true;
      }
      if (db.find(key.run(), wanted.getAsLong()).isEmpty()) {
        return false;
      }
      db.setAlias(key.run(), key.name(), wanted.getAsLong());
      return true;
    }
    if (!annotations.hasTag(key.run(), key.step(), key.name())) {
      db.removeTag(key.run(), key.step(), key.name());
      return true;
    }
    if (db.find(key.run(), key.step()).isEmpty()) {
      return false;
    }
    db.addTag(key.run(), key.step(), key.name());
    return true;
  }

  @Override
  public void close() {
    Background.stop(timer);
    if (annotations != null) {
      annotations.close();
    }
  }
}
