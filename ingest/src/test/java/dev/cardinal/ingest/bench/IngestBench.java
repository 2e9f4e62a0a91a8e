package dev.cardinal.ingest.bench;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.embedded.EmbeddedKafka;
import dev.cardinal.core.kafka.TopicAdmin;
import dev.cardinal.core.kafka.TopicSnapshot;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.ingest.FolderSource;
import dev.cardinal.ingest.IdxSource;
import dev.cardinal.ingest.ImageSource;
import dev.cardinal.ingest.IngestOptions;
import dev.cardinal.ingest.IngestStage;
import dev.cardinal.ingest.SourceSettings;
import dev.cardinal.ingest.Sources;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Ingest throughput from IDX (Fashion-MNIST when installed, else generated IDX of the same shape)
 * and from a folder of JPEGs, each beside a bare KafkaProducer (same client settings, no
 * transactions) sending the very records ingest produced, on one in-process broker. Run by {@code
 * bench/ingest}. Args: [jpeg-count (3000)] [rounds (7)] [epochs per round (10)].
 *
 * <p>Each IDX round is one ingest run of several epochs (a fresh process would do the same:
 * transactional producer, progress read, then the epochs), timed from start to return, then the
 * bare producer over the same records, timed from its construction to its flush. Rounds are long
 * (10 epochs of Fashion-MNIST, ~470 MB, about a second; single rounds of half that ranged
 * 0.65-1.69) so that a moment of noise or start-up does not decide the ratio; the RESULT line gives
 * medians over the rounds, each round's ratio being of two runs back to back.
 */
public final class IngestBench {
  private static final String BARE_TOPIC = "bench.bare";
  private static final int BATCH = 256;

  public static void main(String[] args) throws Exception {
    int jpegs = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    int epochsPerRound = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    Path work = Files.createTempDirectory("cardinal-bench-ingest");
    try (EmbeddedKafka broker = EmbeddedKafka.start(work.resolve("kafka"), 0)) {
      KafkaSettings kafka = broker.settings();
      TopicAdmin.ensureTopics(kafka);
      // The bare producer's topic is configured like cardinal.images.train (segment size,
      // retention), so both write to the broker the same way.
      Map<String, String> trainConfigs =
          TopicAdmin.cardinalTopics().stream()
              .filter(t -> t.name().equals(Topics.IMAGES_TRAIN))
              .findFirst()
              .orElseThrow()
              .configs();
      TestServices.createTopic(kafka, BARE_TOPIC, TopicAdmin.IMAGE_PARTITIONS, trainConfigs);

      String idxSpec = Sources.defaultSpec();
      String idxName = "Fashion-MNIST (" + Sources.FASHION_MNIST + ")";
      if (!idxSpec.startsWith("idx:")) {
        Path generated = work.resolve("idx");
        generateIdx(generated, 60_000, 10_000);
        idxSpec = "idx:" + generated;
        idxName = "generated IDX 60000+10000 28x28";
      }
      long opened = System.nanoTime();
      IdxSource idx = (IdxSource) Sources.parse(idxSpec, SourceSettings.defaults(1));
      System.err.printf(Locale.ROOT, "opened %s in %.1f s%n", idxName, secs(opened));

      // Warm-up, not reported: the eval split and a round's worth of epochs, then the bare twin.
      Measure warm = ingest(kafka, idx, 1 + epochsPerRound);
      bare(kafka, warm);
      warm = null;
      List<Measure> ingests = new ArrayList<>();
      List<Measure> bares = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        Measure in = ingest(kafka, idx, 1 + epochsPerRound * (r + 2));
        Measure out = bare(kafka, in);
        System.err.printf(
            Locale.ROOT,
            "round %d: %d images, ingest %.0f img/s (%.2f s), bare %.0f img/s (%.2f s),"
                + " ratio %.2f%n",
            r + 1,
            in.images,
            in.imagesPerS(),
            in.seconds,
            out.imagesPerS(),
            out.seconds,
            in.imagesPerS() / out.imagesPerS());
        ratios.add(in.imagesPerS() / out.imagesPerS());
        ingests.add(in.withoutRecords());
        bares.add(out);
      }
      Measure medianIngest = medianBy(ingests);
      Measure medianBare = medianBy(bares);

      Path folder = work.resolve("jpeg");
      long made = System.nanoTime();
      generateJpegs(folder, jpegs);
      // Warm-up: the decode path compiled before it is measured.
      Path warmFolder = work.resolve("jpeg-warm");
      generateJpegs(warmFolder, 600);
      bare(kafka, ingest(kafka, FolderSource.open(warmFolder, SourceSettings.defaults(1)), 1));
      System.err.printf(Locale.ROOT, "wrote %d JPEGs in %.1f s%n", jpegs, secs(made));
      long scanned = System.nanoTime();
      FolderSource jpegSource = FolderSource.open(folder, SourceSettings.defaults(1));
      double scanS = secs(scanned);
      Measure jpeg = ingest(kafka, jpegSource, 1);
      Measure jpegBare = bare(kafka, jpeg);

      System.out.println();
      System.out.printf("%-34s %10s %10s %9s %8s%n", "run", "images", "img/s", "MB/s", "seconds");
      row("ingest " + idxName + " (median)", medianIngest);
      row("bare producer, same records", medianBare);
      row("ingest " + jpegs + " JPEGs 96-128 px", jpeg);
      row("bare producer, same records", jpegBare);
      System.out.printf(
          Locale.ROOT,
          "folder scan (headers of %d files): %.2f s; batch %d; %d cores; IDX: %d rounds of %d"
              + " epochs, ratios %s%n",
          jpegs,
          scanS,
          BATCH,
          Runtime.getRuntime().availableProcessors(),
          rounds,
          epochsPerRound,
          ratios.stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList());
      System.out.printf(
          Locale.ROOT,
          "RESULT ingest ratio_idx=%.2f idx_img_s=%.0f idx_mb_s=%.1f bare_idx_img_s=%.0f"
              + " jpeg_per_s=%.0f jpeg_mb_s=%.1f ratio_jpeg=%.2f%n",
          median(ratios),
          medianIngest.imagesPerS(),
          medianIngest.mbPerS(),
          medianBare.imagesPerS(),
          jpeg.imagesPerS(),
          jpeg.mbPerS(),
          jpeg.imagesPerS() / jpegBare.imagesPerS());
    } finally {
      deleteRecursively(work);
    }
  }

  private record Measure(
      long images, long bytes, double seconds, List<ProducerRecord<byte[], byte[]>> records) {
    double imagesPerS() {
      return images / seconds;
    }

    double mbPerS() {
      return bytes / seconds / 1e6;
    }

    Measure withoutRecords() {
      return new Measure(images, bytes, seconds, List.of());
    }
  }

  /** Each round's ingest and bare runs are back to back: their ratio survives a noisy machine. */
  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** The round of median speed (the lower middle one for an even count). */
  private static Measure medianBy(List<Measure> measures) {
    List<Measure> sorted =
        measures.stream()
            .sorted(java.util.Comparator.comparingDouble(Measure::imagesPerS))
            .toList();
    return sorted.get((sorted.size() - 1) / 2);
  }

  private static void row(String name, Measure m) {
    System.out.printf(
        Locale.ROOT,
        "%-34s %10d %10.0f %9.1f %8.2f%n",
        name,
        m.images,
        m.imagesPerS(),
        m.mbPerS(),
        m.seconds);
  }

  /**
   * Runs ingest up to {@code epochs} (it resumes where the last call stopped) and collects what it
   * sent.
   */
  private static Measure ingest(KafkaSettings kafka, ImageSource source, int epochs) {
    Map<TopicPartition, Long> trainFrom =
        TopicSnapshot.endOffsets(kafka, Topics.IMAGES_TRAIN, java.time.Duration.ofSeconds(30));
    Map<TopicPartition, Long> evalFrom =
        TopicSnapshot.endOffsets(kafka, Topics.IMAGES_EVAL, java.time.Duration.ofSeconds(30));
    System.gc(); // as before the bare run
    long started = System.nanoTime();
    new IngestStage(kafka, source, new IngestOptions(BATCH, epochs, 7, 0)).run();
    double seconds = secs(started);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    long images = 0;
    long bytes = 0;
    for (String topic : List.of(Topics.IMAGES_EVAL, Topics.IMAGES_TRAIN)) {
      for (ConsumerRecord<byte[], byte[]> r :
          TopicSnapshot.read(
              kafka,
              topic,
              topic.equals(Topics.IMAGES_EVAL) ? evalFrom : trainFrom,
              java.time.Duration.ofSeconds(60))) {
        ImageBatch batch = ImageBatch.decode(r.value());
        if (!batch.datasetId().equals(source.datasetId())) {
          continue;
        }
        images += batch.size();
        bytes += r.value().length;
        records.add(new ProducerRecord<>(BARE_TOPIC, r.key(), r.value()));
      }
    }
    return new Measure(images, bytes, seconds, records);
  }

  /** The same records (keys and values) as {@code ingested}, sent by a plain producer. */
  private static Measure bare(KafkaSettings kafka, Measure ingested) {
    List<ProducerRecord<byte[], byte[]>> records = ingested.records;
    long images = ingested.images;
    long bytes = ingested.bytes;
    System.gc(); // the last run's garbage is collected before this run, not during it
    long started = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProperties())) {
      for (ProducerRecord<byte[], byte[]> r : records) {
        producer.send(r);
      }
      producer.flush();
      double seconds = secs(started);
      return new Measure(images, bytes, seconds, List.of());
    }
  }

  private static void generateIdx(Path dir, int train, int test) throws IOException {
    Files.createDirectories(dir);
    SplittableRandom random = new SplittableRandom(5);
    for (String split : List.of("train", "t10k")) {
      int n = split.equals("train") ? train : test;
      byte[] pixels = new byte[n * 784];
      random.nextBytes(pixels);
      byte[] labels = new byte[n];
      for (int i = 0; i < n; i++) {
        labels[i] = (byte) random.nextInt(10);
      }
      writeIdx(dir.resolve(split + "-images-idx3-ubyte.gz"), 0x803, new int[] {n, 28, 28}, pixels);
      writeIdx(dir.resolve(split + "-labels-idx1-ubyte.gz"), 0x801, new int[] {n}, labels);
    }
  }

  private static void writeIdx(Path file, int magic, int[] dims, byte[] data) throws IOException {
    try (OutputStream raw = Files.newOutputStream(file);
        DataOutputStream out = new DataOutputStream(new GZIPOutputStream(raw, 1 << 16))) {
      out.writeInt(magic);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.write(data);
    }
  }

  /** Photos-like JPEGs (gradients, shapes and noise) of two sizes in ten class folders. */
  private static void generateJpegs(Path dir, int count) {
    IntStream.range(0, count)
        .parallel()
        .forEach(
            i -> {
              SplittableRandom random = new SplittableRandom(i);
              int w = i % 2 == 0 ? 96 : 128;
              int h = 96;
              BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
              int base = random.nextInt(0xFFFFFF);
              for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                  int r = ((base >> 16) + x * 2 + random.nextInt(24)) & 0xff;
                  int g = ((base >> 8) + y * 2 + random.nextInt(24)) & 0xff;
                  int b = (base + (x ^ y) + random.nextInt(24)) & 0xff;
                  image.setRGB(x, y, (r << 16) | (g << 8) | b);
                }
              }
              Path file = dir.resolve("class" + (i % 10)).resolve(String.format("%06d.jpg", i));
              try {
                Files.createDirectories(file.getParent());
                ImageIO.write(image, "jpg", file.toFile());
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
  }

  private static double secs(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1e9;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
