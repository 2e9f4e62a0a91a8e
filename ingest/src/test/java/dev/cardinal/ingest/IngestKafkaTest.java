package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Readers through the real broker: batches, dead letters, a crash mid-epoch, a watched folder. */
class IngestKafkaTest {
  private static KafkaSettings kafka;
  private static KafkaSettings committed;

  /** Sees records of aborted or unfinished transactions too, to check they are in the log. */
  private static KafkaSettings uncommitted;

  @BeforeAll
  static void broker() {
    kafka = TestServices.freshKafkaWithTopics();
    committed =
        new KafkaSettings(kafka.bootstrapServers(), Map.of("isolation.level", "read_committed"));
    uncommitted =
        new KafkaSettings(kafka.bootstrapServers(), Map.of("isolation.level", "read_uncommitted"));
  }

  private static List<ImageBatch> batches(KafkaSettings settings, String topic, String datasetId) {
    List<ImageBatch> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        TestServices.consumeAll(settings, topic, Duration.ofSeconds(30))) {
      ImageBatch batch = ImageBatch.decode(r.value());
      if (batch.datasetId().equals(datasetId)) {
        out.add(batch);
      }
    }
    return out;
  }

  private static Map<String, String> deadLetters() {
    Map<String, String> out = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        TestServices.consumeAll(kafka, Topics.deadLetters("ingest"), Duration.ofSeconds(30))) {
      out.put(
          new String(
              r.headers().lastHeader(DeadLetters.ORIGIN_HEADER).value(), StandardCharsets.UTF_8),
          new String(
              r.headers().lastHeader(DeadLetters.REASON_HEADER).value(), StandardCharsets.UTF_8));
    }
    return out;
  }

  @Test
  void imageFolderGoesThroughGroupedBySizeWhileBadFilesLandInTheDeadLetterTopic() {
    FolderSource source =
        FolderSource.open(FolderSourceTest.mixedFolder(), new SourceSettings(1, 0, 50));
    new IngestStage(kafka, source, new IngestOptions(8, 1, 5, 0)).run();

    List<ImageBatch> train = batches(committed, Topics.IMAGES_TRAIN, source.datasetId());
    assertThat(train.stream().mapToInt(ImageBatch::size).sum()).isEqualTo(5);
    // 30x40 (two JPEGs), 20x20 (grey + RGBA), 25x50: one batch per size
    assertThat(train)
        .extracting(b -> b.height() + "x" + b.width())
        .containsExactlyInAnyOrder("30x40", "20x20", "25x50");
    assertThat(train).allSatisfy(b -> assertThat(b.channels()).isEqualTo(3));
    Map<String, String> dead = deadLetters();
    assertThat(dead)
        .hasEntrySatisfying(
            key(dead, "broken.jpg"), r -> assertThat(r).contains("not a JPEG or PNG"));
    assertThat(dead)
        .hasEntrySatisfying(
            key(dead, "notes.txt"), r -> assertThat(r).contains("not an image file"));
    assertThat(dead)
        .hasEntrySatisfying(key(dead, "cut.png"), r -> assertThat(r).contains("undecodable"));
    List<MetricEvent> metrics =
        TestServices.consumeAll(kafka, Topics.METRICS, Duration.ofSeconds(30)).stream()
            .map(r -> Json.fromBytes(r.value(), MetricEvent.class))
            .filter(m -> m.stage().equals("ingest"))
            .toList();
    assertThat(metrics).anySatisfy(m -> assertThat(m.values().get("bad_inputs")).isEqualTo(3.0));
  }

  @Test
  void aPixelBombAndACutImageAreDeadLetteredAndTheOtherImagesIngest() {
    Path dir = ImageBombTest.folderWithABombAndACutImage().toAbsolutePath().normalize();
    FolderSource source = FolderSource.open(dir, new SourceSettings(1, 0, 64));
    new IngestStage(kafka, source, new IngestOptions(8, 1, 5, 0)).run();

    List<ImageBatch> train = batches(committed, Topics.IMAGES_TRAIN, source.datasetId());
    assertThat(train.stream().mapToInt(ImageBatch::size).sum()).isEqualTo(2);
    Map<String, String> dead = deadLetters();
    assertThat(dead.get(dir.resolve("cat/bomb.png").toString()))
        .contains("image is 30000x30000")
        .contains("over the limit");
    assertThat(dead.get(dir.resolve("dog/cut.png").toString())).contains("undecodable");
  }

  private static String key(Map<String, String> dead, String suffix) {
    return dead.keySet().stream().filter(k -> k.endsWith(suffix)).findFirst().orElse(suffix);
  }

  @Test
  void idxWithTestSplitRoundTripsAndWrongMagicIsADeadLetter() {
    Path dir = TestServices.tempDir("idx-kafka");
    TestFiles.idx(dir, "train", 100, 6, 6, 10, true);
    TestFiles.idxSplit(
        dir,
        "t10k",
        TestFiles.idxBytes(0x0803_0000, new int[] {1, 6, 6}, new byte[36]),
        new byte[1],
        true);
    IdxSource source = IdxSource.open(dir);
    assertThat(source.evalSize()).isZero();
    new IngestStage(kafka, source, new IngestOptions(32, 2, 5, 0)).run();
    List<ImageBatch> train = batches(committed, Topics.IMAGES_TRAIN, source.datasetId());
    assertThat(train.stream().mapToInt(ImageBatch::size).sum()).isEqualTo(200);
    ImageBatch first = train.get(0);
    assertThat(first.channels()).isEqualTo(1);
    assertThat(first.pixels()[0]).isEqualTo((byte) first.sampleIds()[0]);
    // Pixels are copied from the IDX bytes straight into the record: each image and label intact.
    for (ImageBatch batch : train) {
      for (int k = 0; k < batch.size(); k++) {
        LabelledImage expected = source.train(batch.sampleIds()[k]);
        assertThat(batch.labels()[k]).isEqualTo(expected.label());
        assertThat(java.util.Arrays.copyOfRange(batch.pixels(), k * 36, (k + 1) * 36))
            .isEqualTo(expected.pixels());
      }
    }
    assertThat(batches(committed, Topics.IMAGES_EVAL, source.datasetId())).isEmpty();
    assertThat(deadLetters())
        .hasEntrySatisfying(
            key(deadLetters(), "t10k-images-idx3-ubyte.gz"),
            r -> assertThat(r).contains("wrong IDX magic"));
  }

  /**
   * Fails like a killed process after {@code failAt} images: the open transaction is never
   * committed.
   */
  private record Crashing(ImageSource inner, int failAt, AtomicInteger loads)
      implements ImageSource {
    @Override
    public String datasetId() {
      return inner.datasetId();
    }

    @Override
    public int classes() {
      return inner.classes();
    }

    @Override
    public long trainSize() {
      return inner.trainSize();
    }

    @Override
    public long evalSize() {
      return inner.evalSize();
    }

    @Override
    public LabelledImage train(long index) {
      if (loads.incrementAndGet() > failAt) {
        throw new IllegalStateException("simulated crash");
      }
      return inner.train(index);
    }

    @Override
    public LabelledImage eval(long index) {
      return inner.eval(index);
    }
  }

  @Test
  void restartAfterACrashMidEpochRepeatsAndSkipsNothing() {
    SyntheticSource source = new SyntheticSource(77, 400, 20, 8, 4);
    // Commit every 3 batches; crash while the 11th batch is assembled: batches 10 (and 11's first
    // images) were sent in a transaction that never commits.
    IngestStage.CommitPolicy every3 =
        new IngestStage.CommitPolicy(3, Long.MAX_VALUE, Duration.ofHours(1));
    IngestOptions options = new IngestOptions(16, 2, 9, 0);
    assertThatThrownBy(
            () ->
                new IngestStage(
                        kafka,
                        new Crashing(source, 16 * 10 + 5, new AtomicInteger()),
                        options,
                        every3)
                    .run())
        .hasMessageContaining("simulated crash");
    List<ImageBatch> beforeRestart = batches(committed, Topics.IMAGES_TRAIN, source.datasetId());
    assertThat(beforeRestart.size()).isBetween(1, 9);

    new IngestStage(kafka, source, options, every3).run();

    List<ImageBatch> all = batches(committed, Topics.IMAGES_TRAIN, source.datasetId());
    for (int epoch = 0; epoch < 2; epoch++) {
      int e = epoch;
      List<Long> ids = new ArrayList<>();
      List<Long> offsets = new ArrayList<>();
      all.stream()
          .filter(b -> b.stamp().epoch() == e)
          .forEach(
              b -> {
                for (long id : b.sampleIds()) {
                  ids.add(id);
                }
                offsets.add(b.stamp().sampleOffset());
              });
      assertThat(ids).as("epoch %d", epoch).hasSize(400).doesNotHaveDuplicates();
      assertThat(offsets).as("epoch %d offsets", epoch).doesNotHaveDuplicates();
    }
    // The uncommitted batch is in the log, invisible to read_committed consumers.
    assertThat(batches(uncommitted, Topics.IMAGES_TRAIN, source.datasetId()).size())
        .isGreaterThan(all.size());
    assertThat(
            batches(committed, Topics.IMAGES_EVAL, source.datasetId()).stream()
                .mapToInt(ImageBatch::size)
                .sum())
        .isEqualTo(20);
  }

  @Test
  void watchedFolderIngestsFilesAddedAfterStartOnceEachAcrossARestart() throws Exception {
    Path dir = TestServices.tempDir("watch");
    TestFiles.rgbImage(dir.resolve("red/1.png"), 12, 10, 0xFF0000);
    Files.createDirectories(dir.resolve("blue"));
    SourceSettings settings = new SourceSettings(1, 0, 512);
    WatchSource source = WatchSource.open(dir, settings);
    Thread thread = start(new IngestStage(kafka, source, new IngestOptions(8, 0, 1, 0)));
    awaitImages(source.datasetId(), 1);

    // Written under a hidden name and renamed into place, as a careful writer does.
    Path tmp =
        TestFiles.save(
            TestFiles.image(12, 10, BufferedImage.TYPE_INT_RGB, 0x0000FF),
            "png",
            dir.resolve("blue/.2.png.tmp"));
    Files.move(tmp, dir.resolve("blue/2.png"), StandardCopyOption.ATOMIC_MOVE);
    awaitImages(source.datasetId(), 2);
    running.stop();
    thread.join(10_000);

    TestFiles.rgbImage(dir.resolve("blue/3.png"), 10, 10, 0x0000FF);
    TestFiles.write(dir.resolve("blue/4.png"), new byte[] {9, 9, 9}, false);
    Thread again =
        start(
            new IngestStage(kafka, WatchSource.open(dir, settings), new IngestOptions(8, 0, 1, 0)));
    awaitImages(source.datasetId(), 3);
    // A file ingested twice would go out no later than a marker dropped in after it: once the
    // marker (not an image, so it adds no image) is dead-lettered, nothing else may arrive.
    TestFiles.write(dir.resolve("blue/marker.txt"), new byte[] {1}, false);
    Await.until(
        Duration.ofSeconds(30),
        "the marker file dead-lettered",
        () -> deadLetters().keySet().stream().anyMatch(k -> k.endsWith("blue/marker.txt")));
    running.stop();
    again.join(10_000);

    List<ImageBatch> train = batches(committed, Topics.IMAGES_TRAIN, source.datasetId());
    List<Long> ids = new ArrayList<>();
    train.forEach(
        b -> {
          for (long id : b.sampleIds()) {
            ids.add(id);
          }
        });
    assertThat(ids).hasSize(3).doesNotHaveDuplicates();
    assertThat(train).extracting(b -> b.labels()[0]).contains(0, 1);
    assertThat(train).allSatisfy(b -> assertThat(b.stamp().epochSize()).isZero());
    assertThat(deadLetters())
        .hasEntrySatisfying(
            key(deadLetters(), "blue/4.png"), r -> assertThat(r).contains("not a JPEG or PNG"));
  }

  private static volatile IngestStage running;

  private static Thread start(IngestStage stage) {
    running = stage;
    Thread thread = new Thread(stage, "ingest-under-test");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static void awaitImages(String datasetId, int count) {
    Await.until(
        Duration.ofSeconds(30),
        "watched folder: " + count + " images ingested",
        () ->
            batches(committed, Topics.IMAGES_TRAIN, datasetId).stream()
                    .mapToInt(ImageBatch::size)
                    .sum()
                >= count);
  }
}
