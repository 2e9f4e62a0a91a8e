package dev.cardinal.registry;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaReceiver;
import dev.cardinal.core.kafka.ReceivedRecord;
import dev.cardinal.core.kafka.ReceiverOptions;
import dev.cardinal.core.wire.WireFormatException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Materializes the checkpoint, evaluation and sweep topics into the store. Records are written in
 * batches, one transaction each, and acknowledged only after the commit; a record that is not a
 * valid event goes to the registry's dead-letter topic and the stream goes on.
 *
 * <p>Two kinds of database failure are told apart. While the database is unavailable (down,
 * restarting) every event fails alike, so ingest waits for it and gives nothing up. An event the
 * database refuses fails again for itself: when a batch is refused, its events are written one at a
 * time, and one refused {@value #MAX_TRIES} times, with growing pauses, goes to the dead-letter
 * topic with the reason while ingest goes on with the next. It is still on its own topic, so a
 * rebuild ({@code --rebuild}) replays it once the cause is fixed.
 */
final class StoreIngest implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StoreIngest.class);
  private static final int BATCH = 256;

  /** Tries of one event the database refuses before it is dead-lettered. */
  static final int MAX_TRIES = 5;

  /** Pause after the first refusal, doubled after each further one (0.2+0.4+0.8+1.6 s). */
  private static final Duration FIRST_PAUSE = Duration.ofMillis(200);

  /** Longest pause between tries while the database is unavailable. */
  private static final Duration MAX_UNAVAILABLE_PAUSE = Duration.ofSeconds(30);

  private final KafkaReceiver receiver;
  private final CheckpointDb db;
  private final DeadLetters deadLetters;
  private final RegistryMeters meters;
  // Not Schedulers.newSingle: its thread is marked non-blocking, and a batch blocks on the
  // database and on dead-letter sends.
  private final Scheduler writer =
      Schedulers.fromExecutorService(
          Executors.newSingleThreadExecutor(Background.daemon("registry-store-writer")));
  private Disposable subscription;
  private volatile boolean closed;

  StoreIngest(
      KafkaSettings kafka,
      ReceiverOptions options,
      CheckpointDb db,
      DeadLetters deadLetters,
      RegistryMeters meters) {
    this.receiver = new KafkaReceiver(kafka, options);
    this.db = db;
    this.deadLetters = deadLetters;
    this.meters = meters;
  }

  void start() {
    Flux<Object> batchesStored =
        receiver
            .receive()
            .bufferTimeout(BATCH, Duration.ofMillis(50), true)
            .concatMap(batch -> Mono.fromRunnable(() -> store(batch)).subscribeOn(writer), 1);
    subscription =
        Background.consumeForever(
            batchesStored, log, "Registry ingest failed, restarting from the committed offsets");
  }

  private void store(List<ReceivedRecord> batch) {
    List<Object> events = new ArrayList<>(batch.size());
    List<ReceivedRecord> good = new ArrayList<>(batch.size());
    for (ReceivedRecord record : batch) {
      try {
        events.add(parse(record));
        good.add(record);
      } catch (WireFormatException e) {
        deadLetter(record, e.getMessage());
      }
    }
    try {
      applyWhenAvailable(events);
    } catch (Closing e) {
      throw e;
    } catch (RuntimeException refused) {
      log.warn(
          "The registry database refused a batch of {} events, writing them one at a time: {}",
          events.size(),
          refused.toString());
      for (int i = 0; i < good.size(); i++) {
        storeOne(good.get(i), events.get(i));
      }
      return;
    }
    for (ReceivedRecord record : good) {
      meters.consumed(record.topic(), "stored");
      record.acknowledge();
    }
  }

  /** Writes one event, trying it up to {@link #MAX_TRIES} times before dead-lettering it. */
  private void storeOne(ReceivedRecord record, Object event) {
    Duration pause = FIRST_PAUSE;
    for (int tries = 1; ; tries++) {
      try {
        applyWhenAvailable(List.of(event));
        meters.consumed(record.topic(), "stored");
        record.acknowledge();
        return;
      } catch (Closing e) {
        throw e;
      } catch (RuntimeException refused) {
        if (tries >= MAX_TRIES) {
          deadLetter(
              record,
              "the registry database refused this event "
                  + tries
                  + " times: "
                  + refused.getMessage());
          return;
        }
        log.warn(
            "The registry database refused {} (try {} of {}), trying again in {} ms: {}",
            record,
            tries,
            MAX_TRIES,
            pause.toMillis(),
            refused.toString());
        pause(pause);
        pause = pause.multipliedBy(2);
      }
    }
  }

  /**
   * Applies events, waiting for the database while it is unavailable: every event would fail the
   * same way then, so none may be given up for it.
   *
   * @throws RuntimeException when the database refuses the events
   */
  private void applyWhenAvailable(List<Object> events) {
    Duration pause = FIRST_PAUSE;
    while (true) {
      try {
        db.applyAll(events);
        return;
      } catch (StoreException e) {
        if (!e.unavailable()) {
          throw e;
        }
        log.warn(
            "The registry database is unavailable, trying again in {} ms: {}",
            pause.toMillis(),
            e.getMessage());
        pause(pause);
        pause = pause.multipliedBy(2);
        if (pause.compareTo(MAX_UNAVAILABLE_PAUSE) > 0) {
          pause = MAX_UNAVAILABLE_PAUSE;
        }
      }
    }
  }

  private void deadLetter(ReceivedRecord record, String reason) {
    deadLetters.send(record, reason).block(Duration.ofSeconds(30));
    meters.consumed(record.topic(), "dead_letter");
    record.acknowledge();
  }

  private void pause(Duration pause) {
    if (closed) {
      throw new Closing(null);
    }
    try {
      Thread.sleep(pause.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Closing(e);
    }
  }

  /** Ends a wait when ingest closes; never counts as a refusal of the event that was waiting. */
  private static final class Closing extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Closing(Throwable cause) {
      super("registry ingest is closing", cause);
    }
  }

  static Object parse(ReceivedRecord record) {
    if (Topics.CHECKPOINTS.equals(record.topic())) {
      CheckpointEvent e = Json.fromBytes(record.value(), CheckpointEvent.class);
      require(e.runId() != null && !e.runId().isBlank(), "checkpoint event has no runId");
      require(
          CheckpointEvent.CREATED.equals(e.kind()) || CheckpointEvent.DELETED.equals(e.kind()),
          "checkpoint event kind must be created or deleted, got " + e.kind());
      require(e.step() >= 0, "checkpoint event has a negative step " + e.step());
      return e;
    }
    if (Topics.SWEEPS.equals(record.topic())) {
      return SweepWriter.check(Json.fromBytes(record.value(), SweepEvent.class));
    }
    EvaluationEvent e = Json.fromBytes(record.value(), EvaluationEvent.class);
    require(
        e.evaluationId() != null && !e.evaluationId().isBlank(),
        "evaluation event has no evaluationId");
    require(e.runId() != null && !e.runId().isBlank(), "evaluation event has no runId");
    require(e.result().plan().weights() != null, "evaluation event has no weights (raw or ema)");
    return e;
  }

  private static void require(boolean condition, String reason) {
    if (!condition) {
      throw new WireFormatException(reason);
    }
  }

  @Override
  public void close() {
    closed = true;
    if (subscription != null) {
      subscription.dispose();
    }
    writer.dispose();
  }
}
