package dev.cardinal.ingest;

import dev.cardinal.core.Topics;
import dev.cardinal.core.wire.ScheduleStamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingests an {@link ImageStream} (a watched folder) until stopped: each arriving image once, to the
 * split its path hashes to, in batches of images of one size. A batch goes out when it is full or
 * when a poll brought nothing new; each poll ends with a commit, whose progress records name the
 * files it covers, so a restart skips exactly those.
 */
final class StreamIngest {
  private static final Logger log = LoggerFactory.getLogger(StreamIngest.class);
  private static final Duration POLL = Duration.ofMillis(500);

  private final ImageStream stream;
  private final IngestWiring wiring;

  StreamIngest(ImageStream stream, IngestWiring wiring) {
    this.stream = stream;
    this.wiring = wiring;
  }

  /**
   * @param loaded what earlier runs committed: the offsets and the files already ingested
   */
  void run(ProgressStore.Loaded loaded) {
    IngestProgress progress = loaded.progress();
    wiring.output().startFrom(progress);
    Set<String> done = new HashSet<>(loaded.files());
    long trainOffset = progress.nextOffset();
    long evalOffset = progress.evalOffsetOrZero();
    // Arrivals waiting for a full batch, by split and image shape.
    Map<List<Object>, List<ImageStream.Arrival>> pending = new LinkedHashMap<>();
    log.info(
        "Watching: {} files ingested before, {} train images so far", done.size(), trainOffset);
    while (!wiring.stopping()) {
      List<ImageStream.Arrival> arrivals;
      try {
        arrivals = stream.poll(POLL, done::contains);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      for (ImageStream.Arrival a : arrivals) {
        if (a.image() == null) {
          wiring.output().deadLetter(new BadInput(a.key(), a.badReason()));
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
                wiring.options().batchSize(),
                BatchPlan.MAX_BATCH_BYTES);
        while (bucket.size() >= limit || (idle && !bucket.isEmpty())) {
          List<ImageStream.Arrival> take =
              new ArrayList<>(bucket.subList(0, Math.min(limit, bucket.size())));
          bucket.subList(0, take.size()).clear();
          boolean eval = take.get(0).eval();
          // Between transactions only: an open one is invisible to augment, and the progress
          // record that would commit it is written once per poll.
          if (!eval && !wiring.output().roomBetweenTransactions()) {
            break;
          }
          long offset = eval ? evalOffset : trainOffset;
          BatchAssembler.Encoded batch =
              wiring
                  .assembler()
                  .assemble(
                      i -> take.get((int) i).image(),
                      IntStream.range(0, take.size()).asLongStream().toArray(),
                      new ScheduleStamp(0, offset, 0),
                      false);
          wiring.output().send(eval ? Topics.IMAGES_EVAL : Topics.IMAGES_TRAIN, batch, eval);
          for (ImageStream.Arrival a : take) {
            wiring.output().sendIngestedFile(a.key(), eval);
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
              stream.datasetId(),
              0,
              trainOffset,
              false,
              evalOffset,
              null,
              wiring.options().batchSize());
      wiring.output().meter().position(0, trainOffset + evalOffset, 0, "watching");
      wiring.output().meter().tick();
      if (wiring.output().isOpen()) {
        wiring.output().commit(progress);
      }
    }
    wiring.output().commit(progress);
  }
}
