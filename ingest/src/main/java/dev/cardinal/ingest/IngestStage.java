package dev.cardinal.ingest;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.LagGate;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ForkJoinPool;
import java.util.function.LongFunction;
import java.util.stream.IntStream;
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
      Run run =
          new Run(
              out,
              new DeadLetters(clients.side(), STAGE),
              gate,
              decoders,
              new IngestMeter(clients.side(), ProgressBar.forTerminal()));
      // After the transactional producer fenced any earlier instance: its leftovers are aborted.
      ProgressStore.Loaded loaded = clients.progress().load(source.datasetId());
      log.info("Ingesting {}", source.describe());
      for (BadInput bad : source.problems()) {
        run.deadLetter(bad);
      }
      try {
        if (source instanceof ImageSource finite) {
          run.finite(finite, loaded.progress());
        } else if (source instanceof ImageStream stream) {
          run.stream(stream, loaded);
        }
      } finally {
        run.meter.finish();
      }
      if (run.meter.badInputs() > 0) {
        log.warn(
            "{} bad input(s) skipped; see {} for each path and reason",
            run.meter.badInputs(),
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

  /** The state of one {@link #run()}: its producer, counters and commit bookkeeping. */
  private final class Run {
    private final TransactionalOutput out;
    private final DeadLetters deadLetters;
    private final LagGate gate;
    private final ForkJoinPool decoders;
    private final IngestMeter meter;
    private final Set<String> reported = new HashSet<>();
    private final BatchWriter writer = new BatchWriter(source.datasetId(), source.classes());
    private IngestProgress committed;

    Run(
        TransactionalOutput out,
        DeadLetters deadLetters,
        LagGate gate,
        ForkJoinPool decoders,
        IngestMeter meter) {
      this.out = out;
      this.deadLetters = deadLetters;
      this.gate = gate;
      this.decoders = decoders;
      this.meter = meter;
    }

    void finite(ImageSource src, IngestProgress start) {
      IngestProgress progress = start;
      committed = start;
      boolean decodes = src.trainSize() > 0 && src.trainShape(0) != null;
      if (!progress.evalDone()) {
        long size = src.evalSize();
        long[] order = new long[(int) size];
        for (int i = 0; i < order.length; i++) {
          order[i] = i;
        }
        for (BatchPlan.Batch b :
            BatchPlan.of(order, src::evalShape, options.batchSize(), BatchPlan.MAX_BATCH_BYTES)) {
          if (!running) {
            break;
          }
          if (b.end() <= progress.evalOffsetOrZero()) {
            continue;
          }
          send(
              Topics.IMAGES_EVAL,
              assemble(src, true, b.indices(), new ScheduleStamp(0, b.start(), size), decodes),
              true);
          progress = progress.withEval(b.end(), false);
          meter.position(0, b.end(), size, "eval split");
          maybeCommit(progress);
        }
        if (!running) {
          commit(progress);
          return;
        }
        progress = progress.withEval(size, true);
        commit(progress);
      }

      long size = src.trainSize();
      int epoch = progress.epoch();
      long offset = progress.nextOffset();
      // A restart finishes the epoch it interrupted with the order it began: same seed, same
      // batches.
      long seed = offset > 0 && progress.seed() != null ? progress.seed() : options.seed();
      int batchSize =
          offset > 0 && progress.batchSize() != null ? progress.batchSize() : options.batchSize();
      long total = options.epochs() == 0 ? size : options.epochs() * size;
      log.info("Train split: {} images from epoch {} offset {}", size, epoch, offset);
      while (running && (options.epochs() == 0 || epoch < options.epochs())) {
        long[] order = permutation(size, seed + epoch);
        for (BatchPlan.Batch b :
            BatchPlan.of(order, src::trainShape, batchSize, BatchPlan.MAX_BATCH_BYTES)) {
          if (!running) {
            break;
          }
          if (b.end() <= offset) {
            continue;
          }
          if (!trainRoom(progress)) {
            break;
          }
          Encoded batch =
              assemble(src, false, b.indices(), new ScheduleStamp(epoch, b.start(), size), decodes);
          send(Topics.IMAGES_TRAIN, batch, false);
          offset = b.end();
          progress = progress.at(epoch, offset, seed, batchSize);
          long done = options.epochs() == 0 ? offset : epoch * size + offset;
          meter.position(
              epoch,
              done,
              total,
              options.epochs() == 0
                  ? "epoch " + (epoch + 1)
                  : "epoch " + (epoch + 1) + "/" + options.epochs());
          maybeCommit(progress);
        }
        if (offset >= size) {
          epoch++;
          offset = 0;
          seed = options.seed();
          batchSize = options.batchSize();
          progress = progress.at(epoch, 0, seed, batchSize);
        }
      }
      commit(progress);
      log.info("Ingest of {} stopped at epoch {} offset {}", source.datasetId(), epoch, offset);
    }

    void stream(ImageStream stream, ProgressStore.Loaded loaded) {
      IngestProgress progress = loaded.progress();
      committed = progress;
      Set<String> done = new HashSet<>(loaded.files());
      long trainOffset = progress.nextOffset();
      long evalOffset = progress.evalOffsetOrZero();
      Map<List<Object>, List<ImageStream.Arrival>> pending = new LinkedHashMap<>();
      log.info(
          "Watching: {} files ingested before, {} train images so far", done.size(), trainOffset);
      while (running) {
        List<ImageStream.Arrival> arrivals;
        try {
          arrivals = stream.poll(Duration.ofMillis(500), done::contains);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        for (ImageStream.Arrival a : arrivals) {
          if (a.image() == null) {
            deadLetter(new BadInput(a.key(), a.badReason()));
            continue;
          }
          LabelledImage image = a.image();
          pending
              .computeIfAbsent(
                  List.of(a.eval(), image.height(), image.width(), image.channels()),
                  k -> new ArrayList<>())
              .add(a);
        }
        boolean idle = arrivals.isEmpty();
        for (List<ImageStream.Arrival> bucket : pending.values()) {
          if (bucket.isEmpty()) {
            continue;
          }
          LabelledImage first = bucket.get(0).image();
          int limit =
              BatchPlan.limit(
                  new ImageShape(first.height(), first.width(), first.channels()),
                  options.batchSize(),
                  BatchPlan.MAX_BATCH_BYTES);
          while (bucket.size() >= limit || (idle && !bucket.isEmpty())) {
            List<ImageStream.Arrival> take =
                new ArrayList<>(bucket.subList(0, Math.min(limit, bucket.size())));
            bucket.subList(0, take.size()).clear();
            boolean eval = take.get(0).eval();
            // Between transactions only: an open one is invisible to augment, and the progress
            // record that would commit it is written once per poll.
            if (!eval && !out.isOpen() && gate != null && !gate.awaitRoom(() -> running)) {
              break;
            }
            long offset = eval ? evalOffset : trainOffset;
            Encoded batch =
                assemble(
                    i -> take.get((int) i).image(),
                    IntStream.range(0, take.size()).asLongStream().toArray(),
                    new ScheduleStamp(0, offset, 0),
                    false);
            send(eval ? Topics.IMAGES_EVAL : Topics.IMAGES_TRAIN, batch, eval);
            for (ImageStream.Arrival a : take) {
              out.send(
                  Topics.INGEST_PROGRESS,
                  ProgressStore.fileKey(source.datasetId(), a.key()),
                  Json.toBytes(
                      new ProgressStore.IngestedFile(1, source.datasetId(), a.key(), eval)));
              done.add(a.key());
            }
            if (eval) {
              evalOffset += take.size();
            } else {
              trainOffset += take.size();
            }
          }
        }
        progress =
            new IngestProgress(
                IngestProgress.SCHEMA_VERSION,
                source.datasetId(),
                0,
                trainOffset,
                false,
                evalOffset,
                null,
                options.batchSize());
        meter.position(0, trainOffset + evalOffset, 0, "watching");
        meter.tick();
        if (out.isOpen()) {
          commit(progress);
        }
      }
      commit(progress);
    }

    /**
     * Waits before the next train batch while augment is too far behind; false when asked to stop
     * meanwhile. Every batch counts against the limit. Before it measures, the open transaction (up
     * to {@code progress}) commits: augment can neither see nor read uncommitted batches, so
     * without the commit a fast source would overshoot the limit by a whole transaction (thousands
     * of batches) before it ever waited.
     */
    private boolean trainRoom(IngestProgress progress) {
      if (gate == null || gate.mayPassUnmeasured()) {
        return true;
      }
      commit(progress);
      return gate.awaitMeasuredRoom(() -> running);
    }

    private void send(String topic, Encoded batch, boolean eval) {
      if (batch == null) {
        return;
      }
      byte[] value = batch.value();
      out.send(topic, Long.toString(batch.firstId()).getBytes(StandardCharsets.UTF_8), value);
      // Sent means copied into the producer's buffer: the array can hold the next batch.
      writer.recycle(value);
      meter.sent(batch.count(), value.length, eval);
    }

    private void maybeCommit(IngestProgress progress) {
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
    private void commit(IngestProgress progress) {
      if (progress.equals(committed) && !out.isOpen()) {
        return;
      }
      out.send(
          Topics.INGEST_PROGRESS, ProgressStore.key(source.datasetId()), Json.toBytes(progress));
      out.commit();
      committed = progress;
    }

    void deadLetter(BadInput bad) {
      if (!reported.add(bad.origin())) {
        return;
      }
      meter.bad();
      try {
        deadLetters
            .send(
                bad.origin(),
                ProgressStore.key(source.datasetId()),
                Json.toBytes(bad),
                bad.reason())
            .block(Duration.ofSeconds(30));
      } catch (RuntimeException e) {
        log.warn("Cannot send dead letter for {}: {}", bad.origin(), e.toString());
      }
    }

    /**
     * One batch of a finite source as its record value. Images held in memory are copied straight
     * into the record; others are loaded one by one (see the other {@code assemble}).
     */
    private Encoded assemble(
        ImageSource src, boolean eval, long[] indices, ScheduleStamp stamp, boolean parallel) {
      if (!(src instanceof InMemoryImages memory)) {
        return assemble(eval ? src::eval : src::train, indices, stamp, parallel);
      }
      BatchWriter.Record record = writer.start(indices.length, memory.shape(eval), stamp);
      byte[] bytes = record.bytes();
      for (int k = 0; k < indices.length; k++) {
        long index = indices[k];
        memory.copyPixels(eval, index, bytes, record.pixelOffset(k));
        record.put(k, memory.sampleId(eval, index), memory.label(eval, index));
      }
      return new Encoded(bytes, record.count(), record.firstId());
    }

    /** Loads the images (in parallel when they need decoding); bad ones are dead-lettered. */
    private Encoded assemble(
        LongFunction<LabelledImage> load, long[] indices, ScheduleStamp stamp, boolean parallel) {
      int n = indices.length;
      LabelledImage[] images = new LabelledImage[n];
      BadInput[] bad = new BadInput[n];
      IntStream range = IntStream.range(0, n);
      Runnable loadAll =
          () ->
              (parallel ? range.parallel() : range)
                  .forEach(
                      i -> {
                        try {
                          images[i] = load.apply(indices[i]);
                        } catch (BadImageException e) {
                          bad[i] = e.asBadInput();
                        }
                      });
      if (parallel && n > 1) {
        decoders.submit(loadAll).join();
      } else {
        loadAll.run();
      }
      LabelledImage first = null;
      int kept = 0;
      for (int i = 0; i < n; i++) {
        if (bad[i] != null) {
          deadLetter(bad[i]);
        } else if (first == null) {
          first = images[i];
          kept++;
        } else if (images[i].height() != first.height()
            || images[i].width() != first.width()
            || images[i].channels() != first.channels()) {
          deadLetter(
              new BadInput(
                  "sample " + images[i].sampleId(),
                  "image is "
                      + images[i].height()
                      + "x"
                      + images[i].width()
                      + "x"
                      + images[i].channels()
                      + " but the source promised one size for all images"));
          images[i] = null;
        } else {
          kept++;
        }
      }
      if (first == null) {
        return null;
      }
      ImageShape shape = new ImageShape(first.height(), first.width(), first.channels());
      BatchWriter.Record record = writer.start(kept, shape, stamp);
      long imageBytes = shape.bytes();
      int k = 0;
      for (int i = 0; i < n; i++) {
        LabelledImage image = images[i];
        if (image == null || bad[i] != null) {
          continue;
        }
        if (image.pixels().length != imageBytes) {
          throw new IllegalArgumentException(
              image.pixels().length
                  + " pixel bytes for a "
                  + shape.height()
                  + "x"
                  + shape.width()
                  + "x"
                  + shape.channels()
                  + " image (sample "
                  + image.sampleId()
                  + ")");
        }
        System.arraycopy(
            image.pixels(), 0, record.bytes(), record.pixelOffset(k), (int) imageBytes);
        record.put(k, image.sampleId(), image.label());
        k++;
      }
      return new Encoded(record.bytes(), record.count(), record.firstId());
    }
  }

  /** A batch as the record value sent to Kafka ({@link ImageBatch}'s wire format). */
  private record Encoded(byte[] value, int count, long firstId) {}

  /** Fisher-Yates from the epoch's seed: the same order every time the epoch is replayed. */
  static long[] permutation(long size, long seed) {
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("datasets over 2^31 images are not supported");
    }
    long[] order = new long[(int) size];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      long t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }
}
