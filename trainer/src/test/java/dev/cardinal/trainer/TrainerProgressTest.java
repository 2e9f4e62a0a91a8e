package dev.cardinal.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.TopicAdmin;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.SyntheticImages;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A run's optimizer follows its own progress, and its batches come in stamp order, on a stream of
 * four partitions (the real broker, S3 server and DJL engine). Each test has a broker of its own:
 * the image topics have fixed names.
 */
class TrainerProgressTest {
  private static final int BATCH = 8;
  private static final int BATCHES_PER_EPOCH = 16;
  private static final long EPOCH_SIZE = (long) BATCH * BATCHES_PER_EPOCH;

  /** Byte offset of the class count in an encoded batch's header. */
  private static final int CLASSES_FIELD = 24;

  private KafkaSettings kafka;
  private CheckpointStore store;

  @BeforeEach
  void services() {
    kafka = TestServices.freshKafkaWithTopics();
    store = TestServices.checkpointStore();
  }

  /** One warm-up epoch, cosine to zero at epoch 2. */
  private static TrainerConfig config(String run, int checkpointEvery, long maxSteps) {
    return TrainerConfig.of(
            run, "resnet20", Recipe.named("resnet-rs").withEpochs(2, 1), checkpointEvery)
        .withMetricsEverySteps(1)
        .withMaxSteps(maxSteps)
        .withKeepLast(10)
        .withKeepBest(0);
  }

  /**
   * Batches {@code first..last-1} of the stream, each into partition {@code index % 4}, written
   * partition by partition from the last: the layout in which a plain consumer meets late stamps
   * first.
   */
  private void produce(int first, int last) {
    produce(first, last, -1, -1);
  }

  /**
   * @param otherClassesAt index of a batch of 20 classes (a valid batch of another label space)
   * @param craftedAt index of a batch whose header claims 2^31-1 classes over a consistent body
   */
  private void produce(int first, int last, int otherClassesAt, int craftedAt) {
    try (KafkaSender sender = new KafkaSender(kafka)) {
      for (int p = TopicAdmin.IMAGE_PARTITIONS - 1; p >= 0; p--) {
        for (int i = first; i < last; i++) {
          if (i % TopicAdmin.IMAGE_PARTITIONS != p) {
            continue;
          }
          byte[] value = (i == otherClassesAt ? stamped(i).withClasses(20) : stamped(i)).encode();
          if (i == craftedAt) {
            ByteBuffer.wrap(value).putInt(CLASSES_FIELD, Integer.MAX_VALUE);
          }
          sender.send(new ProducerRecord<>(Topics.IMAGES_AUGMENTED, p, null, value)).block();
        }
      }
    }
  }

  private static ImageBatch stamped(int index) {
    return SyntheticImages.batch((long) index * BATCH, BATCH, 8, 10)
        .withStamp(
            new ScheduleStamp(
                index / BATCHES_PER_EPOCH, (long) index % BATCHES_PER_EPOCH * BATCH, EPOCH_SIZE));
  }

  private List<MetricEvent> metrics(String run) {
    return TestServices.consumeAll(kafka, Topics.METRICS, Duration.ofSeconds(30)).stream()
        .map(r -> Json.fromBytes(r.value(), MetricEvent.class))
        .filter(e -> run.equals(e.runId()))
        .sorted(Comparator.comparingLong(MetricEvent::step))
        .toList();
  }

  private static List<Double> values(List<MetricEvent> metrics, String key) {
    return metrics.stream().map(m -> m.values().get(key)).toList();
  }

  @Test
  void learningRateWarmsUpThenDecaysAndStampsNeverGoBack() {
    produce(0, 2 * BATCHES_PER_EPOCH);
    String run = TestServices.unique("progress");
    new TrainerStage(config(run, 100, 2L * BATCHES_PER_EPOCH), kafka, store).run();

    List<MetricEvent> metrics = metrics(run);
    assertThat(metrics).hasSize(2 * BATCHES_PER_EPOCH);
    List<Double> rates = values(metrics, "learning_rate");
    for (int i = 1; i < rates.size(); i++) {
      if (i <= BATCHES_PER_EPOCH) {
        assertThat(rates.get(i)).as("warm-up, step %d", i + 1).isGreaterThan(rates.get(i - 1));
      } else {
        assertThat(rates.get(i)).as("decay, step %d", i + 1).isLessThan(rates.get(i - 1));
      }
    }
    // Ordered consumption: the stamps (written in the worst order) go up one batch at a time.
    List<Double> stamps = values(metrics, "stamp_epoch");
    for (int i = 0; i < stamps.size(); i++) {
      assertThat(stamps.get(i)).isCloseTo((double) i / BATCHES_PER_EPOCH, offset(1e-9));
    }
  }

  @Test
  void aRunThatJoinsLateStillWarmsUpFromZero() {
    // The stream is at epochs 2-3 already (what came before has gone), when this run starts.
    produce(2 * BATCHES_PER_EPOCH, 4 * BATCHES_PER_EPOCH);
    String run = TestServices.unique("late");
    new TrainerStage(config(run, 100, 4), kafka, store).run();

    List<Double> rates = values(metrics(run), "learning_rate");
    float peak = Recipe.named("resnet-rs").withEpochs(2, 1).learningRate(1, BATCH);
    assertThat(rates.get(0)).as("the first step is at progress 0").isZero();
    assertThat(rates.get(3)).isCloseTo(peak * 3.0 / BATCHES_PER_EPOCH, offset(1e-6));
    // The run's progress counts the batch just trained.
    assertThat(values(metrics(run), "epoch").get(3))
        .isCloseTo(4.0 / BATCHES_PER_EPOCH, offset(1e-9));
  }

  @Test
  void resumeContinuesTheScheduleExactlyAndAStopSavesTheLastSteps() {
    produce(0, 2 * BATCHES_PER_EPOCH);
    String run = TestServices.unique("resume");
    Recipe recipe = Recipe.named("resnet-rs").withEpochs(2, 1);
    // Checkpoints every 5 steps; stopping at 7 saves a final checkpoint at 7.
    new TrainerStage(config(run, 5, 7), kafka, store).run();
    assertThat(store.completeCheckpoints(run)).containsExactly(5L, 7L);
    CheckpointManifest stopped = store.getManifest(run, 7);
    assertThat(stopped.samplesSeen()).isEqualTo(7L * BATCH);
    assertThat(stopped.progressEpochs()).isCloseTo(7.0 * BATCH / EPOCH_SIZE, offset(1e-12));
    assertThat(stopped.stamp()).isEqualTo(stamped(6).stamp());

    new TrainerStage(config(run, 5, 12), kafka, store).run();
    List<MetricEvent> metrics = metrics(run);
    MetricEvent eighth = metrics.stream().filter(m -> m.step() == 8).findFirst().orElseThrow();
    // Step 8 trains after 7 batches, exactly as it would have without the restart.
    assertThat(eighth.values().get("learning_rate"))
        .isCloseTo(recipe.learningRate(7.0 * BATCH / EPOCH_SIZE, BATCH), offset(1e-7));
    assertThat(store.getManifest(run, 12).progressEpochs())
        .isCloseTo(12.0 * BATCH / EPOCH_SIZE, offset(1e-12));
  }

  @Test
  void whenTheDataEndsTheLastStepsAreCheckpointed() throws Exception {
    // A finite dataset: 7 batches, checkpoints every 5 steps. Steps 6 and 7 used to wait for data
    // that never came, unsaved and unscored.
    produce(0, 7);
    String run = TestServices.unique("ended");
    TrainerStage trainer = new TrainerStage(config(run, 5, 0), kafka, store);
    Thread training = new Thread(trainer, "trainer-" + run);
    training.start();
    try {
      Await.until(
          Duration.ofMinutes(2),
          "a checkpoint at step 7 once the stream went quiet",
          () -> store.completeCheckpoints(run).contains(7L));
    } finally {
      trainer.stop();
    }
    assertThat(store.completeCheckpoints(run)).containsExactly(5L, 7L);
  }

  @Test
  void batchesThatDoNotFitTheRunAreDeadLetteredAndTrainingGoesOn() {
    // Batch 4 has another label space; batch 8 claims 2^31-1 classes. Before, the loss allocated
    // count x classes for either and the trainer thread died, on every restart.
    produce(0, 15, 4, 8);
    String run = TestServices.unique("poison");
    TrainerStage trainer = new TrainerStage(config(run, 100, 13), kafka, store);
    trainer.run();
    assertThat(trainer.step()).isEqualTo(13);

    List<ConsumerRecord<byte[], byte[]>> dead =
        TestServices.consumeAll(kafka, Topics.deadLetters("trainer"), Duration.ofSeconds(30));
    List<String> reasons = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : dead) {
      reasons.add(
          new String(
              r.headers().lastHeader(DeadLetters.REASON_HEADER).value(), StandardCharsets.UTF_8));
    }
    assertThat(reasons).hasSize(2);
    assertThat(reasons).anySatisfy(r -> assertThat(r).contains("20 classes").contains("10"));
    assertThat(reasons).anySatisfy(r -> assertThat(r).contains("classes=2147483647"));
  }
}
