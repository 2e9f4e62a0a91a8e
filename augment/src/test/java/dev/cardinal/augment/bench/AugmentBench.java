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
import dev.cardinal.core.testing.TestServices;
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
 * memory (all cores). Usage: AugmentBench [secondsPerMeasurement (3)] [kafkaBatches (2000)]
 */
public final class AugmentBench {

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
    int kafkaBatches = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
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

    // The stage leg at both output sizes: at 32 px the ops are cheap next to moving the bytes
    // through a broker that shares this machine's cores; at 224 px the ops dominate.
    // One untimed pass through a broker first: C2 compiles the broker's and clients' code during
    // its first ~10 s under load, and measured as 1.75 of 3 cpu-s in a window after a 2 s warm-up.
    System.out.printf("%nwarm-up through Kafka (not reported):%n");
    kafka(encodedBatches(kafkaBatches, 64, 32), schedule(32), cores);
    double[] small = stageLeg(kafkaBatches, 64, 32, 32, cores);
    double[] large = stageLeg(Math.max(20, kafkaBatches / 10), 16, 256, 224, cores);
    System.out.printf(
        "%n%-22s %14s %14s %8s%n", "stage leg", "memory img/s", "kafka img/s", "ratio");
    System.out.printf(
        "%-22s %14.0f %14.0f %8.2f%n", "32px from 32px", small[0], small[1], small[1] / small[0]);
    System.out.printf(
        "%-22s %14.0f %14.0f %8.2f%n", "224px from 256px", large[0], large[1], large[1] / large[0]);
    System.out.printf(
        "RESULT augment ratio32=%.2f ratio224=%.2f kafka_vs_memory=%.2f kafka_vs_memory224=%.2f%n",
        ratios[0], ratios[1], small[1] / small[0], large[1] / large[0]);
    System.exit(0);
  }

  /**
   * The whole stage through a broker beside the same ops in memory, on {@code count} batches of
   * {@code perBatch} images of {@code size} px producing {@code out} px. Returns {memory, kafka}
   * images/s.
   */
  private static double[] stageLeg(int count, int perBatch, int size, int out, int cores)
      throws Exception {
    System.out.printf(
        "%nstage through Kafka vs in memory: %d batches x %d images %dpx -> %dpx, %d workers%n",
        count, perBatch, size, out, cores);
    Schedule schedule = schedule(out);
    List<byte[]> batches = encodedBatches(count, perBatch, size);
    // Memory before and after the Kafka run, averaged: the machine drifts during a leg.
    double before = memory(batches, schedule, cores);
    double kafka = kafka(batches, schedule, cores);
    double after = memory(batches, schedule, cores);
    return new double[] {(before + after) / 2, kafka};
  }

  /** {@code count} encoded batches of the same {@code perBatch} images, with their own ids. */
  private static List<byte[]> encodedBatches(int count, int perBatch, int size) {
    List<byte[]> images = images(perBatch, size);
    List<byte[]> batches = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      batches.add(batch(b, images, size).encode());
    }
    return batches;
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

  private static ImageBatch batch(long first, List<byte[]> imgs, int size) {
    int count = imgs.size();
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
      ThreadCpu cpu = ThreadCpu.start();
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
      double secs = (System.nanoTime() - start) / 1e9;
      System.out.printf("memory: %d batches in %.2f s; CPU by role:%n", batches.size(), secs);
      ThreadCpu.print(cpu.secondsByRole(), secs, Runtime.getRuntime().availableProcessors());
      return images / secs;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The stage over a broker: the input is produced first, then the stage runs over a warm-up of
   * half as many batches again (group join, first fetches, buffers) before the clock starts, and is
   * timed over {@code batches}.
   */
  private static double kafka(List<byte[]> batches, Schedule schedule, int workers)
      throws Exception {
    int warmUp = batches.size() / 2;
    Path dir = Files.createTempDirectory("augment-bench-kafka");
    // Each leg's broker log is 1.5-2 GB: deleted as soon as the leg ends, not at exit.
    try (EmbeddedKafka broker = EmbeddedKafka.start(dir, 0)) {
      KafkaSettings settings = broker.settings();
      TopicAdmin.ensureTopics(settings);
      try (KafkaSender sender = new KafkaSender(settings)) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < warmUp + batches.size(); i++) {
          records.add(
              new ProducerRecord<>(
                  Topics.IMAGES_TRAIN,
                  Integer.toString(i).getBytes(StandardCharsets.UTF_8),
                  batches.get(i % batches.size())));
        }
        sender.sendAll(Flux.fromIterable(records), 32).blockLast();
      }
      AugmentStage.Options options =
          AugmentStage.Options.defaults().withSchedule(schedule).withWorkers(workers);
      try (AugmentStage stage = new AugmentStage(settings, options)) {
        stage.start();
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (stage.batchesAugmented() < warmUp && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
        ThreadCpu cpu = ThreadCpu.start();
        long start = System.nanoTime();
        long firstBatches = stage.batchesAugmented();
        long firstImages = stage.imagesAugmented();
        long end = warmUp + batches.size();
        while (stage.batchesAugmented() < end && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf(
            "kafka: %d batches timed after a warm-up of %d, in %.2f s; CPU by role:%n",
            stage.batchesAugmented() - firstBatches, firstBatches, secs);
        ThreadCpu.print(cpu.secondsByRole(), secs, Runtime.getRuntime().availableProcessors());
        return (stage.imagesAugmented() - firstImages) / secs;
      }
    } finally {
      TestServices.deleteRecursively(dir);
    }
  }
}
