package dev.cardinal.ingest;

import dev.cardinal.core.Topics;
import dev.cardinal.core.wire.ScheduleStamp;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays a finite {@link ImageSource}: the eval split once to {@code cardinal.images.eval}, then
 * the train split, reshuffled each epoch, in stamped batches to {@code cardinal.images.train}. It
 * resumes from the committed progress: a restart finishes the interrupted epoch in the order it
 * began and skips the batches already committed.
 */
final class FiniteReplay {
  private static final Logger log = LoggerFactory.getLogger(FiniteReplay.class);

  private final ImageSource src;
  private final IngestWiring wiring;

  FiniteReplay(ImageSource src, IngestWiring wiring) {
    this.src = src;
    this.wiring = wiring;
  }

  /** Replays from {@code start}, the progress last committed, until the epochs are done or stop. */
  void run(IngestProgress start) {
    wiring.output().startFrom(start);
    boolean decodes = src.trainSize() > 0 && src.trainShape(0) != null;
    IngestProgress progress = start;
    if (!progress.evalDone()) {
      progress = evalSplit(progress, decodes);
      if (!progress.evalDone()) {
        return; // asked to stop before the eval split was through
      }
    }
    trainSplit(progress, decodes);
  }

  /**
   * Sends the eval split (what of it is not committed yet) and commits it as done, unless asked to
   * stop first.
   *
   * @return the committed progress: eval done, unless stopped
   */
  private IngestProgress evalSplit(IngestProgress progress, boolean decodes) {
    long size = src.evalSize();
    long[] order = new long[(int) size];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    for (BatchPlan.Batch b :
        BatchPlan.of(
            order, src::evalShape, wiring.options().batchSize(), BatchPlan.MAX_BATCH_BYTES)) {
      if (wiring.stopping()) {
        break;
      }
      if (b.end() <= progress.evalOffsetOrZero()) {
        continue;
      }
      wiring
          .output()
          .send(
              Topics.IMAGES_EVAL,
              wiring
                  .assembler()
                  .assemble(src, true, b.indices(), new ScheduleStamp(0, b.start(), size), decodes),
              true);
      progress = progress.withEval(b.end(), false);
      wiring.output().meter().position(0, b.end(), size, "eval split");
      wiring.output().maybeCommit(progress);
    }
    if (wiring.stopping()) {
      wiring.output().commit(progress);
      return progress;
    }
    progress = progress.withEval(size, true);
    wiring.output().commit(progress);
    return progress;
  }

  private void trainSplit(IngestProgress progress, boolean decodes) {
    IngestOptions options = wiring.options();
    IngestOutput output = wiring.output();
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
    while (!wiring.stopping() && (options.epochs() == 0 || epoch < options.epochs())) {
      long[] order = permutation(size, seed + epoch);
      for (BatchPlan.Batch b :
          BatchPlan.of(order, src::trainShape, batchSize, BatchPlan.MAX_BATCH_BYTES)) {
        if (wiring.stopping()) {
          break;
        }
        if (b.end() <= offset) {
          continue;
        }
        if (!output.trainRoom(progress)) {
          break;
        }
        BatchAssembler.Encoded batch =
            wiring
                .assembler()
                .assemble(
                    src, false, b.indices(), new ScheduleStamp(epoch, b.start(), size), decodes);
        output.send(Topics.IMAGES_TRAIN, batch, false);
        offset = b.end();
        progress = progress.at(epoch, offset, seed, batchSize);
        long done = options.epochs() == 0 ? offset : epoch * size + offset;
        output
            .meter()
            .position(
                epoch,
                done,
                total,
                options.epochs() == 0
                    ? "epoch " + (epoch + 1)
                    : "epoch " + (epoch + 1) + "/" + options.epochs());
        output.maybeCommit(progress);
      }
      if (offset >= size) {
        epoch++;
        offset = 0;
        seed = options.seed();
        batchSize = options.batchSize();
        progress = progress.at(epoch, 0, seed, batchSize);
      }
    }
    output.commit(progress);
    log.info("Ingest of {} stopped at epoch {} offset {}", src.datasetId(), epoch, offset);
  }

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
