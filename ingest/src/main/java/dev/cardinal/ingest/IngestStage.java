package dev.cardinal.ingest;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.LagGate;
import dev.cardinal.core.kafka.TopicSnapshot;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a dataset into Kafka: the eval split once to {@code cardinal.images.eval}, then the train
 * split, reshuffled each epoch, in stamped batches to {@code cardinal.images.train}. After each
 * acknowledged batch the position goes to the compacted progress topic, so a restart continues
 * where the last run stopped.
 */
public final class IngestStage implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(IngestStage.class);
  private static final String AUGMENT_GROUP = "cardinal-augment";

  private final KafkaSettings kafka;
  private final ImageSource source;
  private final IngestOptions options;
  private volatile boolean running = true;

  public IngestStage(KafkaSettings kafka, ImageSource source, IngestOptions options) {
    this.kafka = kafka;
    this.source = source;
    this.options = options;
  }

  public void stop() {
    running = false;
  }

  @Override
  public void run() {
    try (KafkaSender sender = new KafkaSender(kafka);
        LagGate gate =
            new LagGate(
                kafka,
                Topics.IMAGES_TRAIN,
                AUGMENT_GROUP::equals,
                options.maxLagBatches() <= 0 ? Long.MAX_VALUE : options.maxLagBatches())) {
      IngestProgress progress = loadProgress();
      log.info(
          "Ingesting {} ({} train, {} eval images, {} classes) from epoch {} offset {}",
          source.datasetId(),
          source.trainSize(),
          source.evalSize(),
          source.classes(),
          progress.epoch(),
          progress.nextOffset());
      if (!progress.evalDone()) {
        produceEval(sender);
        progress =
            new IngestProgress(
                IngestProgress.SCHEMA_VERSION,
                source.datasetId(),
                progress.epoch(),
                progress.nextOffset(),
                true);
        saveProgress(sender, progress);
      }
      produceTrain(sender, gate, progress);
    }
  }

  private void produceEval(KafkaSender sender) {
    long total = source.evalSize();
    for (long start = 0; start < total && running; start += options.batchSize()) {
      int count = (int) Math.min(options.batchSize(), total - start);
      long first = start;
      ImageBatch batch =
          assemble(count, i -> source.eval(first + i), new ScheduleStamp(0, start, total));
      sender.send(Topics.IMAGES_EVAL, key(batch), batch.encode()).block();
    }
  }

  private void produceTrain(KafkaSender sender, LagGate gate, IngestProgress progress) {
    long size = source.trainSize();
    int epoch = progress.epoch();
    long offset = progress.nextOffset();
    long batches = 0;
    long started = System.nanoTime();
    while (running && (options.epochs() == 0 || epoch < options.epochs())) {
      long[] order = permutation(size, options.seed() + epoch);
      while (running && offset < size) {
        if (!gate.awaitRoom(() -> running)) {
          return;
        }
        int count = (int) Math.min(options.batchSize(), size - offset);
        long first = offset;
        ImageBatch batch =
            assemble(
                count,
                i -> source.train(order[(int) (first + i)]),
                new ScheduleStamp(epoch, offset, size));
        sender.send(Topics.IMAGES_TRAIN, key(batch), batch.encode()).block();
        offset += count;
        saveProgress(
            sender,
            new IngestProgress(
                IngestProgress.SCHEMA_VERSION, source.datasetId(), epoch, offset, true));
        batches++;
        if (batches % 20 == 0) {
          double seconds = (System.nanoTime() - started) / 1e9;
          sender
              .send(
                  Topics.METRICS,
                  "ingest".getBytes(StandardCharsets.UTF_8),
                  Json.toBytes(
                      MetricEvent.now(
                          "ingest",
                          null,
                          batches,
                          Map.of(
                              "images_per_s",
                              batches * options.batchSize() / seconds,
                              "epoch",
                              (double) epoch))))
              .subscribe();
        }
      }
      if (offset >= size) {
        epoch++;
        offset = 0;
      }
    }
    log.info("Ingest of {} finished at epoch {}", source.datasetId(), epoch);
  }

  private interface ImageAt {
    LabelledImage get(int indexInBatch);
  }

  private ImageBatch assemble(int count, ImageAt images, ScheduleStamp stamp) {
    LabelledImage first = images.get(0);
    int imageBytes = first.pixels().length;
    byte[] pixels = new byte[count * imageBytes];
    long[] ids = new long[count];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      LabelledImage image = i == 0 ? first : images.get(i);
      System.arraycopy(image.pixels(), 0, pixels, i * imageBytes, imageBytes);
      ids[i] = image.sampleId();
      labels[i] = image.label();
    }
    return new ImageBatch(
        source.datasetId(),
        first.height(),
        first.width(),
        first.channels(),
        source.classes(),
        ids,
        labels,
        null,
        pixels,
        stamp);
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

  private static byte[] key(ImageBatch batch) {
    return Long.toString(batch.sampleIds()[0]).getBytes(StandardCharsets.UTF_8);
  }

  private IngestProgress loadProgress() {
    IngestProgress latest = IngestProgress.start(source.datasetId());
    byte[] key = source.datasetId().getBytes(StandardCharsets.UTF_8);
    for (ConsumerRecord<byte[], byte[]> record :
        TopicSnapshot.read(kafka, Topics.INGEST_PROGRESS, Duration.ofSeconds(30))) {
      if (java.util.Arrays.equals(record.key(), key) && record.value() != null) {
        latest = Json.fromBytes(record.value(), IngestProgress.class);
      }
    }
    return latest;
  }

  private void saveProgress(KafkaSender sender, IngestProgress progress) {
    sender
        .send(
            Topics.INGEST_PROGRESS,
            progress.datasetId().getBytes(StandardCharsets.UTF_8),
            Json.toBytes(progress))
        .block();
  }
}
