package dev.cardinal.trainer;

import dev.cardinal.core.Backoff;
import dev.cardinal.core.Topics;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.s3.CheckpointStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads checkpoints off the training thread. Training hands over an in-memory snapshot and goes
 * on; the uploader writes every object, then the manifest (which makes the checkpoint exist), then
 * announces it. When S3 is down it retries with exponential backoff, so a checkpoint lands once S3
 * is back; one that still fails after {@code maxAttempts} is reported as given up (log, dead
 * letter, metric) and its partial objects removed — never silently lost.
 */
public final class CheckpointUploader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CheckpointUploader.class);

  /** Everything a checkpoint is, captured at its step. */
  public record Snapshot(
      CheckpointManifest manifest, Map<String, byte[]> objects, CheckpointEvent event) {}

  private final CheckpointStore store;
  private final KafkaSender sender;
  private final DeadLetters deadLetters;
  private final Duration firstBackoff;
  private final int maxAttempts;
  private final Consumer<CheckpointManifest> onUploaded;
  private final BlockingQueue<Snapshot> queue = new ArrayBlockingQueue<>(2);
  private final Thread worker;
  private volatile boolean closing;
  private volatile long givenUp;

  /**
   * @param onUploaded called on the uploader thread after a checkpoint is announced
   */
  public CheckpointUploader(
      CheckpointStore store,
      KafkaSender sender,
      Duration firstBackoff,
      int maxAttempts,
      Consumer<CheckpointManifest> onUploaded) {
    this.store = store;
    this.sender = sender;
    this.deadLetters = new DeadLetters(sender, "trainer");
    this.firstBackoff = firstBackoff;
    this.maxAttempts = maxAttempts;
    this.onUploaded = onUploaded;
    this.worker = new Thread(this::drain, "checkpoint-uploader");
    worker.setDaemon(true);
    worker.start();
  }

  /** Queues a checkpoint; blocks while two are already waiting (S3 much slower than training). */
  public void submit(Snapshot snapshot) throws InterruptedException {
    queue.put(snapshot);
  }

  /** Checkpoints given up after every retry failed. */
  public long givenUp() {
    return givenUp;
  }

  private void drain() {
    while (!closing || !queue.isEmpty()) {
      Snapshot snapshot;
      try {
        snapshot = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (snapshot != null) {
        upload(snapshot);
      }
    }
  }

  private void upload(Snapshot snapshot) {
    CheckpointManifest manifest = snapshot.manifest();
    String prefix = CheckpointStore.checkpointPrefix(manifest.runId(), manifest.step());
    Backoff backoff = new Backoff(firstBackoff, Duration.ofMinutes(1));
    for (int attempt = 1; ; attempt++) {
      try {
        for (Map.Entry<String, byte[]> object : snapshot.objects().entrySet()) {
          byte[] bytes = object.getValue();
          store.put(prefix + object.getKey(), out -> out.write(bytes));
        }
        store.putManifest(manifest);
        sender
            .sendJson(Topics.CHECKPOINTS, snapshot.event().checkpointId(), snapshot.event())
            .block(Duration.ofSeconds(60));
        log.info(
            "Run {} checkpoint at step {} -> s3://{}/{}",
            manifest.runId(),
            manifest.step(),
            store.settings().bucket(),
            prefix);
        onUploaded.accept(manifest);
        return;
      } catch (RuntimeException e) {
        if (attempt >= maxAttempts || (closing && attempt >= 2)) {
          giveUp(snapshot, prefix, e);
          return;
        }
        try {
          backoff.sleepAfterFailure(log, "Checkpoint " + prefix + " upload", attempt, e);
        } catch (InterruptedException interrupted) {
          giveUp(snapshot, prefix, e);
          return;
        }
      }
    }
  }

  private void giveUp(Snapshot snapshot, String prefix, RuntimeException cause) {
    givenUp++;
    String reason =
        "checkpoint "
            + prefix
            + " given up after "
            + maxAttempts
            + " attempts: "
            + cause.getMessage();
    log.error(reason);
    try {
      store.deletePrefix(prefix);
    } catch (RuntimeException e) {
      log.warn(
          "Partial objects of {} stay until the next start cleans them: {}",
          prefix,
          e.getMessage());
    }
    Map<String, Object> record = new LinkedHashMap<>();
    record.put("runId", snapshot.manifest().runId());
    record.put("step", snapshot.manifest().step());
    record.put("reason", reason);
    try {
      deadLetters.send(prefix, null, Json.toBytes(record), reason).block(Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      log.error(
          "Could not report the lost checkpoint on {}: {}", deadLetters.topic(), e.getMessage());
    }
  }

  /** Finishes queued uploads, waiting at most {@code timeout}; later ones are given up. */
  public void close(Duration timeout) {
    closing = true;
    try {
      worker.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (worker.isAlive()) {
      worker.interrupt();
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
