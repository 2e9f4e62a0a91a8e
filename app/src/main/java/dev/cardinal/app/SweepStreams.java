package dev.cardinal.app;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.WireFormatException;
import dev.cardinal.ingest.DataSource;
import dev.cardinal.ingest.ImageShape;
import dev.cardinal.ingest.ImageSource;
import dev.cardinal.ingest.LabelledImage;
import dev.cardinal.trainer.TrainingSession;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** What a sweep learns of its stream: from the source it ingests, or from the stream itself. */
final class SweepStreams {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private SweepStreams() {}

  /**
   * The stream {@code cardinal run} makes of {@code source}: an image source's train split is an
   * epoch; the resolution is the schedule's test resolution, else the images' own size.
   */
  static SweepPlan.StreamFacts ofSource(DataSource source, Schedule schedule) {
    long epochSize =
        source instanceof ImageSource images
            ? images.trainSize()
            : TrainingSession.UNBOUNDED_EPOCH_SAMPLES;
    int resolution;
    if (schedule != null) {
      resolution = schedule.testResolution();
    } else if (source instanceof ImageSource images) {
      ImageShape shape = images.trainShape(0);
      if (shape == null) {
        LabelledImage first = images.train(0);
        resolution = Math.max(first.height(), first.width());
      } else {
        resolution = Math.max(shape.height(), shape.width());
      }
    } else {
      throw new UserError(
          "a watched stream has no size before its images arrive: give the grid 'resolutions' or"
              + " a 'schedule'");
    }
    return new SweepPlan.StreamFacts(source.datasetId(), source.classes(), epochSize, resolution);
  }

  /**
   * The stream as its newest augmented batch describes it (a separate {@code cardinal sweep} joins
   * a stream that some {@code cardinal run} produces).
   */
  static SweepPlan.StreamFacts probe(KafkaSettings kafka) {
    ImageBatch newest = newestBatch(kafka);
    long epochSize =
        newest.stamp().epochSize() > 0
            ? newest.stamp().epochSize()
            : TrainingSession.UNBOUNDED_EPOCH_SAMPLES;
    return new SweepPlan.StreamFacts(
        newest.datasetId(), newest.classes(), epochSize, Math.max(newest.height(), newest.width()));
  }

  private static ImageBatch newestBatch(KafkaSettings kafka) {
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(kafka.consumerProperties(null))) {
      List<PartitionInfo> infos = consumer.partitionsFor(Topics.IMAGES_AUGMENTED, TIMEOUT);
      List<TopicPartition> partitions =
          infos == null
              ? List.of()
              : infos.stream()
                  .map(i -> new TopicPartition(Topics.IMAGES_AUGMENTED, i.partition()))
                  .toList();
      consumer.assign(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
      List<TopicPartition> filled =
          partitions.stream().filter(tp -> end.getOrDefault(tp, 0L) > 0).toList();
      if (filled.isEmpty()) {
        throw new UserError(
            Topics.IMAGES_AUGMENTED
                + " is empty: a sweep trains on the stream that 'cardinal run' (or ingest and"
                + " augment) produces; start that first, or run the whole study with 'cardinal run"
                + " --sweep GRID'");
      }
      consumer.assign(filled);
      filled.forEach(tp -> consumer.seek(tp, end.get(tp) - 1));
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          try {
            return ImageBatch.decode(record.value());
          } catch (WireFormatException e) {
            // Not a batch (a poison record): another partition's newest may be one.
          }
        }
      }
      throw new UserError(
          "no readable batch at the end of "
              + Topics.IMAGES_AUGMENTED
              + " within "
              + TIMEOUT.toSeconds()
              + " s: is the broker up, and does augment produce?");
    }
  }
}
