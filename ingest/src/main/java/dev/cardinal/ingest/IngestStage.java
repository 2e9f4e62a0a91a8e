package dev.cardinal.ingest;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.LagGate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ForkJoinPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a dataset into Kafka. A finite {@link ImageSource}: the eval split once to {@code
 * cardinal.images.eval}, then the train split, reshuffled each epoch, in stamped batches of
 * equal-sized images to {@code cardinal.images.train}. An {@link ImageStream}: each arriving image
 * once, to the split its path hashes to. Batches and the progress record that covers them commit in
 * one Kafka transaction, so a restart continues exactly where the last commit ended: no sample
 * repeated, none skipped (for consumers reading with isolation.level=read_committed). Bad files go
 * to {@code cardinal.ingest.dlq} with the reason and ingest goes on.
 *
 * <p>This class opens a run's clients; {@link FiniteReplay} or {@link StreamIngest} then does the
 * ingesting, both writing through one {@link IngestOutput}.
 */
public final class IngestStage implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(IngestStage.class);
  private static final String STAGE = "ingest";
  private static final String AUGMENT_GROUP = "cardinal-augment";

  /**
   * When to commit the open transaction: whichever limit is reached first. Each commit waits for
   * every record of the transaction to be acknowledged and for the coordinator to write its
   * markers, so the producer's pipeline drains; the age limit (what a consumer reading committed
   * data waits at most) is what should decide, not a byte count that a fast source reaches several
   * times a second.
   */
  record CommitPolicy(int maxRecords, long maxBytes, Duration maxAge) {
    static final CommitPolicy DEFAULT = new CommitPolicy(4096, 512L << 20, Duration.ofSeconds(1));
  }

  private final KafkaSettings kafka;
  private final DataSource source;
  private final IngestOptions options;
  private final CommitPolicy commitPolicy;
  private volatile boolean running = true;

  public IngestStage(KafkaSettings kafka, DataSource source, IngestOptions options) {
    this(kafka, source, options, CommitPolicy.DEFAULT);
  }

  IngestStage(
      KafkaSettings kafka, DataSource source, IngestOptions options, CommitPolicy commitPolicy) {
    this.kafka = kafka;
    this.source = source;
    this.options = options;
    this.commitPolicy = commitPolicy;
  }

  /** Asks {@link #run()} to commit what it has sent and return. */
  public void stop() {
    running = false;
  }

  @Override
  public void run() {
    ForkJoinPool decoders =
        new ForkJoinPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
    // Start-up is mostly waiting on the broker: the side producer and the progress reader open
    // while the transactional producer fences earlier instances.
    CompletableFuture<SideClients> opening =
        CompletableFuture.supplyAsync(() -> SideClients.open(kafka), decoders);
    TransactionalOutput fenced;
    try {
      fenced = new TransactionalOutput(kafka, "cardinal-ingest-" + source.datasetId());
    } catch (RuntimeException | Error e) {
      opening.thenAccept(SideClients::close);
      decoders.shutdown();
      throw e;
    }
    try (TransactionalOutput out = fenced;
        SideClients clients = SideClients.await(opening);
        // No limit, no gate: its admin client would cost start-up time and never be asked.
        LagGate gate =
            options.maxLagBatches() <= 0
                ? null
                : new LagGate(
                    kafka, Topics.IMAGES_TRAIN, AUGMENT_GROUP::equals, options.maxLagBatches())) {
      IngestMeter meter = new IngestMeter(clients.side(), ProgressBar.forTerminal());
      BatchWriter writer = new BatchWriter(source.datasetId(), source.classes());
      IngestOutput output =
          new IngestOutput(
              source.datasetId(),
              out,
              commitPolicy,
              new DeadLetters(clients.side(), STAGE),
              gate,
              meter,
              writer,
              () -> running);
      BatchAssembler assembler = new BatchAssembler(writer, decoders, output::deadLetter);
      // After the transactional producer fenced any earlier instance: its leftovers are aborted.
      IngestWiring wiring = new IngestWiring(options, output, assembler, () -> running);
      ProgressStore.Loaded loaded = clients.progress().load(source.datasetId());
      log.info("Ingesting {}", source.describe());
      for (BadInput bad : source.problems()) {
        output.deadLetter(bad);
      }
      try {
        if (source instanceof ImageSource finite) {
          new FiniteReplay(finite, wiring).run(loaded.progress());
        } else if (source instanceof ImageStream stream) {
          new StreamIngest(stream, wiring).run(loaded);
        }
      } finally {
        meter.finish();
      }
      if (meter.badInputs() > 0) {
        log.warn(
            "{} bad input(s) skipped; see {} for each path and reason",
            meter.badInputs(),
            Topics.deadLetters(STAGE));
      }
    } finally {
      decoders.shutdownNow();
    }
  }

  /** The clients of a run besides its transactional producer. */
  private record SideClients(KafkaSender side, ProgressStore.Reader progress)
      implements AutoCloseable {
    static SideClients open(KafkaSettings kafka) {
      KafkaSender side = new KafkaSender(kafka, TransactionalOutput.QUICK_RETRY);
      try {
        return new SideClients(side, new ProgressStore.Reader(kafka));
      } catch (RuntimeException | Error e) {
        side.close();
        throw e;
      }
    }

    static SideClients await(CompletableFuture<SideClients> opening) {
      try {
        return opening.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        if (e.getCause() instanceof Error err) {
          throw err;
        }
        throw e;
      }
    }

    @Override
    public void close() {
      try {
        progress.close();
      } finally {
        side.close();
      }
    }
  }
}
