package dev.cardinal.app.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.augment.AugmentStage;
import dev.cardinal.core.Resources;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.evaluator.EvaluatorStage;
import dev.cardinal.ingest.IngestOptions;
import dev.cardinal.ingest.IngestStage;
import dev.cardinal.ingest.SyntheticSource;
import dev.cardinal.registry.RegistryConfig;
import dev.cardinal.registry.RegistryServer;
import dev.cardinal.trainer.EngineThreads;
import dev.cardinal.trainer.Recipe;
import dev.cardinal.trainer.TrainerConfig;
import dev.cardinal.trainer.TrainerStage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The real stages of a small run, wired through Kafka and S3 as {@code cardinal run} wires them, on
 * services the fault test controls, and started one by one so a test can start one late. Small on
 * purpose: 16 px synthetic images in batches of {@link #BATCH}, ResNet-20, an epoch of {@link
 * #BATCHES_PER_EPOCH} batches.
 */
final class FaultStages implements AutoCloseable {
  static final int BATCH = 16;
  static final int BATCHES_PER_EPOCH = 20;
  static final int TRAIN_IMAGES = BATCH * BATCHES_PER_EPOCH;
  static final int EVAL_IMAGES = 64;
  static final int SIZE = 16;
  static final int CLASSES = 10;
  static final long SEED = 7;

  private final KafkaSettings kafka;
  private final CheckpointStore store;
  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  FaultStages(KafkaSettings kafka, CheckpointStore store) {
    this.kafka = kafka;
    this.store = store;
    // As Pipeline does: before any stage starts the engine, which reads its threads once.
    EngineThreads.configureForThisMachine();
  }

  /** Checkpoints every 10 steps, keeps them all (retention is not what these tests are about). */
  static TrainerConfig run(String runId, long maxSteps) {
    return TrainerConfig.of(runId, "resnet20", Recipe.named("resnet-rs").withEpochs(10, 1), 10)
        .withMetricsEverySteps(5)
        .withMaxSteps(maxSteps)
        .withKeepLast(1_000)
        .withKeepBest(0);
  }

  static SyntheticSource source() {
    return new SyntheticSource(SEED, TRAIN_IMAGES, EVAL_IMAGES, SIZE, CLASSES);
  }

  void startIngest() {
    IngestStage ingest = new IngestStage(kafka, source(), new IngestOptions(BATCH, 0, SEED, 24));
    Thread thread = daemon(ingest, "ingest");
    started.push(
        () -> {
          ingest.stop();
          thread.join(30_000);
        });
  }

  void startAugment() {
    AugmentStage augment =
        new AugmentStage(
            kafka,
            AugmentStage.Options.defaults().withSeed(SEED).withMaxLagBatches(24).withWorkers(1));
    augment.start();
    started.push(augment);
  }

  TrainerStage startTrainer(TrainerConfig config) {
    TrainerStage trainer = new TrainerStage(config, kafka, store);
    Thread thread = daemon(trainer, "trainer-" + config.runId());
    started.push(
        () -> {
          trainer.stop();
          thread.join(30_000);
        });
    return trainer;
  }

  EvaluatorStage startEvaluator() {
    EvaluatorStage evaluator = new EvaluatorStage(kafka, store);
    evaluator.start();
    started.push(evaluator);
    return evaluator;
  }

  RegistryServer startRegistry(Path dataDir) {
    RegistryServer registry =
        new RegistryServer(
            RegistryConfig.of(kafka, dataDir.resolve("registry.db").toString())
                .withAddress("127.0.0.1", 0)
                .withCheckpointStore(store));
    registry.start();
    started.push(registry);
    return registry;
  }

  private static Thread daemon(Runnable body, String name) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  /** Stops the stages, the last started first. */
  @Override
  public void close() {
    try {
      Resources.closeLastFirst(started);
    } catch (IllegalStateException e) {
      // Every stage was still stopped; the test has its verdict already.
    }
  }

  /** The reason headers of a stage's dead letters, keyed by the original record's key. */
  static Map<String, String> deadLetterReasons(KafkaSettings kafka, String stage) {
    Map<String, String> reasons = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        TestServices.consumeAll(kafka, Topics.deadLetters(stage), Duration.ofSeconds(30))) {
      String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
      var reason = r.headers().lastHeader(DeadLetters.REASON_HEADER);
      reasons.put(key, reason == null ? null : new String(reason.value(), StandardCharsets.UTF_8));
    }
    return reasons;
  }

  /**
   * Checks the data against a run's checkpoint: every record of {@code cardinal.images.augmented}
   * (read to its end) and those below the offsets the checkpoint's manifest records (what the run
   * trained). Upstream, no epoch holds a sample twice and each epoch before the last two (which may
   * still be in flight across partitions) holds every training sample. The trainer trained one step
   * per image batch below its offsets (a rewind would train more steps than there are batches; a
   * skip fewer; poison records hold no batch), and no sample twice within an epoch.
   *
   * @return samples trained per epoch
   */
  static Map<Integer, Integer> assertEachSampleOncePerEpoch(
      KafkaSettings kafka, CheckpointManifest manifest) {
    Map<TopicPartition, Long> ends = new HashMap<>();
    manifest
        .offsets()
        .forEach(
            (tp, offset) -> {
              int dash = tp.lastIndexOf('-');
              ends.put(
                  new TopicPartition(
                      tp.substring(0, dash), Integer.parseInt(tp.substring(dash + 1))),
                  offset);
            });
    Map<Integer, List<Long>> produced = new TreeMap<>();
    Map<Integer, List<Long>> trained = new TreeMap<>();
    int below = 0;
    for (ConsumerRecord<byte[], byte[]> r :
        TestServices.consumeAll(kafka, Topics.IMAGES_AUGMENTED, Duration.ofSeconds(60))) {
      Long end = ends.get(new TopicPartition(r.topic(), r.partition()));
      boolean wasTrained = end != null && r.offset() < end;
      ImageBatch batch;
      try {
        batch = ImageBatch.decode(r.value());
      } catch (RuntimeException e) {
        continue; // a poison record, dead-lettered: no step, no sample
      }
      if (wasTrained) {
        below++;
      }
      for (long id : batch.sampleIds()) {
        produced.computeIfAbsent(batch.stamp().epoch(), e -> new ArrayList<>()).add(id);
        if (wasTrained) {
          trained.computeIfAbsent(batch.stamp().epoch(), e -> new ArrayList<>()).add(id);
        }
      }
    }
    assertThat(below)
        .as("image batches below the offsets of checkpoint %d: one per step", manifest.step())
        .isEqualTo(manifest.step());
    int newest = produced.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
    for (Map.Entry<Integer, List<Long>> epoch : produced.entrySet()) {
      Set<Long> distinct = new HashSet<>(epoch.getValue());
      assertThat(epoch.getValue())
          .as("augmented samples of epoch %d (none twice)", epoch.getKey())
          .hasSize(distinct.size());
      if (epoch.getKey() < newest - 1) {
        assertThat(distinct)
            .as("augmented samples of epoch %d (none missing)", epoch.getKey())
            .hasSize(TRAIN_IMAGES);
      }
    }
    Map<Integer, Integer> counts = new TreeMap<>();
    for (Map.Entry<Integer, List<Long>> epoch : trained.entrySet()) {
      assertThat(epoch.getValue())
          .as("trained samples of epoch %d (none twice)", epoch.getKey())
          .doesNotHaveDuplicates();
      counts.put(epoch.getKey(), epoch.getValue().size());
    }
    return counts;
  }
}
