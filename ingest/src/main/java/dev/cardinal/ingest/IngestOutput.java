package dev.cardinal.ingest;

import dev.cardinal.core.Topics;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.LagGate;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where one ingest run writes, shared by finite replay and stream ingestion: batches into the open
 * Kafka transaction, which commits with the progress record that covers them; bad inputs to the
 * dead-letter topic, once each; and the lag gate that holds train batches back while augment is too
 * far behind.
 */
final class IngestOutput {
  private static final Logger log = LoggerFactory.getLogger(IngestOutput.class);

  private final String datasetId;
  private final TransactionalOutput out;
  private final IngestStage.CommitPolicy commitPolicy;
  private final DeadLetters deadLetters;
  private final LagGate gate;
  private final IngestMeter meter;
  private final BatchWriter writer;
  private final BooleanSupplier running;
  private final Set<String> reported = new HashSet<>();
  private IngestProgress committed;

  /**
   * @param gate null when there is no lag limit
   * @param writer the writer whose record values are sent, to recycle them once sent
   * @param running false once the stage is asked to stop: a wait at the gate then gives up
   */
  IngestOutput(
      String datasetId,
      TransactionalOutput out,
      IngestStage.CommitPolicy commitPolicy,
      DeadLetters deadLetters,
      LagGate gate,
      IngestMeter meter,
      BatchWriter writer,
      BooleanSupplier running) {
    this.datasetId = datasetId;
    this.out = out;
    this.commitPolicy = commitPolicy;
    this.deadLetters = deadLetters;
    this.gate = gate;
    this.meter = meter;
    this.writer = writer;
    this.running = running;
  }

  IngestMeter meter() {
    return meter;
  }

  /** Where the last commit left off, as loaded at start: nothing to commit until it changes. */
  void startFrom(IngestProgress progress) {
    committed = progress;
  }

  /**
   * Waits before the next train batch while augment is too far behind; false when asked to stop
   * meanwhile. Every batch counts against the limit. Before it measures, the open transaction (up
   * to {@code progress}) commits: augment can neither see nor read uncommitted batches, so without
   * the commit a fast source would overshoot the limit by a whole transaction (thousands of
   * batches) before it ever waited.
   */
  boolean trainRoom(IngestProgress progress) {
    if (gate == null || gate.mayPassUnmeasured()) {
      return true;
    }
    commit(progress);
    return gate.awaitMeasuredRoom(running);
  }

  /**
   * The gate of a stream, which commits once per poll: it is asked only between transactions (an
   * open one is invisible to augment); false when asked to stop meanwhile.
   */
  boolean roomBetweenTransactions() {
    return out.isOpen() || gate == null || gate.awaitRoom(running);
  }

  /** Sends a batch into the open transaction; a null batch (every image was bad) sends nothing. */
  void send(String topic, BatchAssembler.Encoded batch, boolean eval) {
    if (batch == null) {
      return;
    }
    byte[] value = batch.value();
    out.send(topic, Long.toString(batch.firstId()).getBytes(StandardCharsets.UTF_8), value);
    // Sent means copied into the producer's buffer: the array can hold the next batch.
    writer.recycle(value);
    meter.sent(batch.count(), value.length, eval);
  }

  /** Records that a watched file is in the open transaction, so a restart does not redo it. */
  void sendIngestedFile(String key, boolean eval) {
    out.send(
        Topics.INGEST_PROGRESS,
        ProgressStore.fileKey(datasetId, key),
        Json.toBytes(new ProgressStore.IngestedFile(1, datasetId, key, eval)));
  }

  /** True while a transaction is open (something was sent since the last commit). */
  boolean isOpen() {
    return out.isOpen();
  }

  /** Commits when the open transaction reached a limit of the commit policy. */
  void maybeCommit(IngestProgress progress) {
    if (progress.equals(committed)) {
      return;
    }
    if (!out.isOpen()
        || out.records() >= commitPolicy.maxRecords()
        || out.bytes() >= commitPolicy.maxBytes()
        || out.age().compareTo(commitPolicy.maxAge()) >= 0) {
      commit(progress);
    }
  }

  /** The progress record goes last into the open transaction, which then commits. */
  void commit(IngestProgress progress) {
    if (progress.equals(committed) && !out.isOpen()) {
      return;
    }
    out.send(Topics.INGEST_PROGRESS, ProgressStore.key(datasetId), Json.toBytes(progress));
    out.commit();
    committed = progress;
  }

  /** Sends a bad input to the dead-letter topic, once per origin; a failed send is only logged. */
  void deadLetter(BadInput bad) {
    if (!reported.add(bad.origin())) {
      return;
    }
    meter.bad();
    try {
      deadLetters
          .send(bad.origin(), ProgressStore.key(datasetId), Json.toBytes(bad), bad.reason())
          .block(Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      log.warn("Cannot send dead letter for {}: {}", bad.origin(), e.toString());
    }
  }
}
