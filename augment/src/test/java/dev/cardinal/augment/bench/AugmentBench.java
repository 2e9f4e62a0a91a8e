package dev.cardinal.augment.bench;

import ai.djl.modality.cv.transform.RandomFlipLeftRight;
import ai.djl.modality.cv.transform.RandomResizedCrop;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.cardinal.augment.AugmentStage;
import dev.cardinal.augment.Augmenter;
import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.embedded.EmbeddedKafka;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.TopicAdmin;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.ProducerRecord;
import reactor.core.publisher.Flux;

/**
 * Images/s per core of RandomResizedCrop + flip + RandAugment(n=2, m=9) at 32 and 224 px beside
 * DJL's RandomResizedCrop + RandomFlipLeftRight + a colour jitter (brightness, contrast, saturation
 * in DJL NDArray ops, as RandomColorJitter is not implemented on PyTorch) on the same images (both
 * one thread), then the whole augment stage through an in-process broker beside the same ops in
 * memory (all cores). Usage: AugmentBench [secondsPerMeasurement (3)] [kafkaBatches (400)]
 */
public final class AugmentBench {

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
    int kafkaBatches = args.length > 1 ? Integer.parseInt(args[1]) : 400;
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.printf("cores=%d, %.1f s per measurement%n%n", cores, seconds);
    System.out.printf(
        "%-8s %-10s %14s %14s %8s%n", "output", "source", "cardinal img/s", "djl img/s", "ratio");
    double[] ratios = new double[2];
    int[][] sizes = {{32, 32}, {224, 256}};
    try (NDManager manager = NDManager.newBaseManager()) {
      for (int k = 0; k < 2; k++) {
        int out = sizes[k][0];
        int src = sizes[k][1];
        List<byte[]> images = images(32, src);
        double ours = ours(images, src, out, seconds);
        double djl = djl(manager, images, src, out, seconds);
        ratios[k] = ours / djl;
        System.out.printf(
            "%-8s %-10s %14.0f %14.0f %8.2f%n", out + "px", src + "px", ours, djl, ratios[k]);
      }
    }

    System.out.printf(
        "%nstage through Kafka vs in memory, %d batches x 64 images 32px, %d workers%n",
        kafkaBatches, cores);
    Schedule schedule = schedule(32);
    List<byte[]> batches = new ArrayList<>();
    for (int b = 0; b < kafkaBatches; b++) {
      batches.add(batch(b, 64, 32).encode());
    }
    double memory = memory(batches, schedule, cores);
    double kafka = kafka(batches, schedule, cores);
    double kafkaVsMemory = kafka / memory;
    System.out.printf("%-10s %14s%n", "path", "img/s");
    System.out.printf("%-10s %14.0f%n", "memory", memory);
    System.out.printf("%-10s %14.0f%n", "kafka", kafka);
    System.out.printf(
        "RESULT augment ratio32=%.2f ratio224=%.2f kafka_vs_memory=%.2f%n",
        ratios[0], ratios[1], kafkaVsMemory);
    System.exit(0);
  }

  private static Schedule schedule(int resolution) {
    return Schedule.parse(
        "defaults: {trainResolution: "
            + resolution
            + ", randAugmentMagnitude: 9, randAugmentOps: 2}",
        "bench");
  }

  /** Smooth images with some texture, so that the ops see image-like content. */
  private static List<byte[]> images(int count, int size) {
    SplittableRandom random = new SplittableRandom(11);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] p = new byte[size * size * 3];
      double fx = random.nextDouble() * 0.2;
      double fy = random.nextDouble() * 0.2;
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          for (int c = 0; c < 3; c++) {
            double v = 128 + 90 * Math.sin(fx * x * (c + 1) + fy * y) + random.nextInt(30) - 15;
            p[(y * size + x) * 3 + c] = (byte) Math.max(0, Math.min(255, (int) v));
          }
        }
      }
      out.add(p);
    }
    return out;
  }

  private static ImageBatch batch(long first, int count, int size) {
    List<byte[]> imgs = images(count, size);
    byte[] pixels = new byte[count * size * size * 3];
    long[] ids = new long[count];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      System.arraycopy(imgs.get(i), 0, pixels, i * imgs.get(i).length, imgs.get(i).length);
      ids[i] = first * count + i;
      labels[i] = i % 10;
    }
    return new ImageBatch(
        "bench",
        size,
        size,
        3,
        10,
        ids,
        labels,
        null,
        pixels,
        new ScheduleStamp(0, first * count, 1 << 30));
  }

  /** One thread, the stage's own code path on batches of 16. */
  private static double ours(List<byte[]> images, int src, int out, double seconds) {
    Augmenter augmenter = new Augmenter(1, schedule(out));
    int per = 16;
    List<ImageBatch> batches = new ArrayList<>();
    for (int b = 0; b < images.size() / per; b++) {
      byte[] pixels = new byte[per * src * src * 3];
      long[] ids = new long[per];
      for (int i = 0; i < per; i++) {
        byte[] img = images.get(b * per + i);
        System.arraycopy(img, 0, pixels, i * img.length, img.length);
        ids[i] = b * per + i;
      }
      batches.add(
          new ImageBatch(
              "bench",
              src,
              src,
              3,
              10,
              ids,
              new int[per],
              null,
              pixels,
              new ScheduleStamp(0, 0, 0)));
    }
    // Warm-up, then measure.
    run(seconds / 3, () -> augmenter.augment(batches.get(0)).pixels().length);
    int[] epoch = {0};
    double rate =
        run(
            seconds,
            () -> {
              int n = 0;
              for (ImageBatch b : batches) {
                ImageBatch stamped =
                    new ImageBatch(
                        b.datasetId(),
                        src,
                        src,
                        3,
                        10,
                        b.sampleIds(),
                        b.labels(),
                        null,
                        b.pixels(),
                        new ScheduleStamp(epoch[0], 0, 0));
                n += augmenter.augment(stamped).size();
              }
              epoch[0]++;
              return n;
            });
    StringBuilder shares = new StringBuilder("  cardinal time share at " + out + "px:");
    augmenter
        .times()
        .shares()
        .forEach((op, share) -> shares.append(String.format(" %s=%.0f%%", op, 100 * share)));
    System.out.println(shares);
    return rate;
  }

  private static double djl(
      NDManager manager, List<byte[]> images, int src, int out, double seconds) {
    RandomResizedCrop rrc = new RandomResizedCrop(out, out);
    RandomFlipLeftRight flip = new RandomFlipLeftRight();
    // DJL's RandomColorJitter throws "Not implemented" on the PyTorch engine: the same brightness,
    // contrast and saturation jitter written with DJL's NDArray ops stands in for it.
    SplittableRandom random = new SplittableRandom(5);
    NDArray luma = manager.create(new float[] {0.299f, 0.587f, 0.114f});
    java.util.function.IntSupplier pass =
        () -> {
          for (byte[] img : images) {
            try (NDManager m = manager.newSubManager()) {
              NDArray a =
                  m.create(ByteBuffer.wrap(img), new Shape(src, src, 3), DataType.UINT8)
                      .toType(DataType.FLOAT32, false);
              a = rrc.transform(a);
              a = flip.transform(a);
              a = a.mul(0.6 + 0.8 * random.nextDouble());
              NDArray mean = a.mean();
              a = a.sub(mean).mul(0.6 + 0.8 * random.nextDouble()).add(mean);
              NDArray grey = a.mul(luma).sum(new int[] {2}, true);
              a = a.sub(grey).mul(0.6 + 0.8 * random.nextDouble()).add(grey);
              a.clip(0, 255).toType(DataType.UINT8, false).toByteArray();
            }
          }
          return images.size();
        };
    run(seconds / 3, pass);
    return run(seconds, pass);
  }

  /** Images per second of repeated passes for about {@code seconds}. */
  private static double run(double seconds, java.util.function.IntSupplier pass) {
    long start = System.nanoTime();
    long images = 0;
    do {
      images += pass.getAsInt();
    } while (System.nanoTime() - start < seconds * 1e9);
    return images / ((System.nanoTime() - start) / 1e9);
  }

  private static double memory(List<byte[]> batches, Schedule schedule, int workers)
      throws Exception {
    Augmenter augmenter = new Augmenter(42, schedule);
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try {
      for (int i = 0; i < Math.min(16, batches.size()); i++) { // warm-up
        augmenter.augment(ImageBatch.decode(batches.get(i))).encode();
      }
      long start = System.nanoTime();
      List<Future<Integer>> done = new ArrayList<>();
      for (byte[] bytes : batches) {
        done.add(
            pool.submit(
                () -> {
                  ImageBatch b = ImageBatch.decode(bytes);
                  augmenter.augment(b).encode();
                  return b.size();
                }));
      }
      long images = 0;
      for (Future<Integer> f : done) {
        images += f.get();
      }
      return images / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The stage over a broker: the input is produced first, the clock runs from the first augmented
   * batch to the last (the consumer-group join is start-up, not throughput).
   */
  private static double kafka(List<byte[]> batches, Schedule schedule, int workers)
      throws Exception {
    Path dir = Files.createTempDirectory("augment-bench-kafka");
    try (EmbeddedKafka broker = EmbeddedKafka.start(dir, 0)) {
      KafkaSettings settings = broker.settings();
      TopicAdmin.ensureTopics(settings);
      try (KafkaSender sender = new KafkaSender(settings)) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < batches.size(); i++) {
          records.add(
              new ProducerRecord<>(
                  Topics.IMAGES_TRAIN,
                  Integer.toString(i).getBytes(StandardCharsets.UTF_8),
                  batches.get(i)));
        }
        sender.sendAll(Flux.fromIterable(records), 32).blockLast();
      }
      AugmentStage.Options options =
          AugmentStage.Options.defaults().withSchedule(schedule).withWorkers(workers);
      try (AugmentStage stage = new AugmentStage(settings, options)) {
        stage.start();
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (stage.batchesAugmented() == 0 && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
        long start = System.nanoTime();
        long firstBatches = stage.batchesAugmented();
        long firstImages = stage.imagesAugmented();
        while (stage.batchesAugmented() < batches.size() && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf(
            "kafka: %d of %d batches timed (%d before the clock started)%n",
            stage.batchesAugmented() - firstBatches, batches.size(), firstBatches);
        return (stage.imagesAugmented() - firstImages) / secs;
      }
    }
  }
}
