package dev.cardinal.registry;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
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
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Materializes the checkpoint and evaluation topics into the store. Records are written in batches,
 * one transaction each, and acknowledged only after the commit; a record that is not a valid event
 * goes to the registry's dead-letter topic and the stream goes on. If the database fails, the
 * consumer restarts from the last committed offsets (upserts make that harmless).
 */
final class StoreIngest implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StoreIngest.class);
  private static final int BATCH = 256;

  private final KafkaReceiver receiver;
  private final CheckpointDb db;
  private final DeadLetters deadLetters;
  private final RegistryMeters meters;
  // Not Schedulers.newSingle: its thread is marked non-blocking, and a batch blocks on the
  // database and on dead-letter sends.
  private final Scheduler writer =
      Schedulers.fromExecutorService(
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "registry-store-writer");
                t.setDaemon(true);
                return t;
              }));
  private Disposable subscription;

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
    subscription =
        receiver
            .receive()
            .bufferTimeout(BATCH, Duration.ofMillis(50), true)
            .concatMap(batch -> Mono.fromRunnable(() -> store(batch)).subscribeOn(writer), 1)
            .retryWhen(
                Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1))
                    .maxBackoff(Duration.ofSeconds(30))
                    .doBeforeRetry(
                        s ->
                            log.error(
                                "Registry ingest failed, restarting from the committed offsets: {}",
                                s.failure().toString())))
            .subscribe();
  }

  private void store(List<ReceivedRecord> batch) {
    List<Object> events = new ArrayList<>(batch.size());
    List<ReceivedRecord> good = new ArrayList<>(batch.size());
    for (ReceivedRecord record : batch) {
      try {
        events.add(parse(record));
        good.add(record);
      } catch (WireFormatException e) {
        deadLetters.send(record, e.getMessage()).block(Duration.ofSeconds(30));
        meters.consumed(record.topic(), "dead_letter");
        record.acknowledge();
      }
    }
    db.applyAll(events);
    for (ReceivedRecord record : good) {
      meters.consumed(record.topic(), "stored");
      record.acknowledge();
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
    EvaluationEvent e = Json.fromBytes(record.value(), EvaluationEvent.class);
    require(
        e.evaluationId() != null && !e.evaluationId().isBlank(),
        "evaluation event has no evaluationId");
    require(e.runId() != null && !e.runId().isBlank(), "evaluation event has no runId");
    require(e.weights() != null, "evaluation event has no weights (raw or ema)");
    return e;
  }

  private static void require(boolean condition, String reason) {
    if (!condition) {
      throw new WireFormatException(reason);
    }
  }

  @Override
  public void close() {
    if (subscription != null) {
      subscription.dispose();
    }
    writer.dispose();
  }
}
