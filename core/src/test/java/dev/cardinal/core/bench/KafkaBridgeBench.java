package dev.cardinal.core.bench;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.embedded.EmbeddedKafka;
import dev.cardinal.core.kafka.KafkaReceiver;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.ReceiverOptions;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * End-to-end throughput of 1 MiB image batches through the Reactor bridge ({@link KafkaSender} +
 * {@link KafkaReceiver}, acknowledging each record) against a bare KafkaProducer/KafkaConsumer loop
 * with the same client settings, on one in-process broker. Run by {@code bench/kafka-bridge}.
 *
 * <p>Arguments: {@code [records per run] [rounds]}.
 */
public final class KafkaBridgeBench {
  private static final int PARTITIONS = 4;
  private static final int IMAGES_PER_BATCH = 340; // 340 x 32x32x3 = 1 MiB of pixels
  private static final int SIDE = 32;
  private static final int POOL = 32;
  private static final int SENDER_IN_FLIGHT = 64;
  private static final int PREFETCH = 32;
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  private final KafkaSettings kafka;
  private final int records;
  private final byte[][] pool;
  private final SplittableRandom random = new SplittableRandom(7);

  private KafkaBridgeBench(KafkaSettings kafka, int records) {
    this.kafka = kafka;
    this.records = records;
    // Random pixels do not compress; each record below gets its own ids and a fresh random
    // stripe, so no two records are equal.
    this.pool = new byte[POOL][];
    for (int i = 0; i < POOL; i++) {
      pool[i] = batch(i).encode();
    }
  }

  record Run(
      String path, long bytes, double sendSeconds, double receiveSeconds, double totalSeconds) {
    double mbPerSecond(double seconds) {
      return bytes / 1e6 / seconds;
    }

    double recordsPerSecond(long count, double seconds) {
      return count / seconds;
    }
  }

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path dir = Files.createTempDirectory("cardinal-bench-kafka");
    EmbeddedKafka broker = EmbeddedKafka.start(dir, 0);
    List<Run> bridge = new ArrayList<>();
    List<Run> bare = new ArrayList<>();
    try {
      KafkaBridgeBench bench = new KafkaBridgeBench(broker.settings(), records);
      bench.warmUp();
      for (int round = 0; round < rounds; round++) {
        // Alternate the order so that neither path always runs on a warmer JVM or fuller disk.
        if (round % 2 == 0) {
          bridge.add(bench.bridge());
          bare.add(bench.bare());
        } else {
          bare.add(bench.bare());
          bridge.add(bench.bridge());
        }
      }
    } finally {
      broker.close();
      deleteQuietly(dir);
    }
    // After the broker's shutdown logging, so that RESULT is the last line.
    report(records, bridge, bare);
  }

  private void warmUp() throws Exception {
    KafkaBridgeBench small = new KafkaBridgeBench(kafka, Math.min(records, 100), pool);
    small.bridge();
    small.bare();
  }

  private KafkaBridgeBench(KafkaSettings kafka, int records, byte[][] pool) {
    this.kafka = kafka;
    this.records = records;
    this.pool = pool;
  }

  private static ImageBatch batch(int seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long[] ids = new long[IMAGES_PER_BATCH];
    int[] labels = new int[IMAGES_PER_BATCH];
    for (int i = 0; i < IMAGES_PER_BATCH; i++) {
      ids[i] = random.nextLong();
      labels[i] = random.nextInt(10);
    }
    byte[] pixels = new byte[IMAGES_PER_BATCH * SIDE * SIDE * 3];
    random.nextBytes(pixels);
    return new ImageBatch(
        "bench", SIDE, SIDE, 3, 10, ids, labels, null, pixels, new ScheduleStamp(0, 0, 0));
  }

  /** A distinct encoded batch: a pooled one with its own sample ids and a fresh random stripe. */
  private byte[] record(int sequence) {
    byte[] bytes = pool[sequence % POOL].clone();
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    int idsAt = 50 + "bench".length();
    buffer.putLong(idsAt, sequence);
    byte[] stripe = new byte[4096];
    random.nextBytes(stripe);
    System.arraycopy(
        stripe, 0, bytes, bytes.length - 1 - random.nextInt(bytes.length / 2) - 4096, 4096);
    return bytes;
  }

  private String freshTopic(String path) {
    String topic = TestServices.unique("bench-" + path);
    TestServices.createTopic(kafka, topic, PARTITIONS);
    return topic;
  }

  private Run bridge() throws Exception {
    String topic = freshTopic("bridge");
    ReceiverOptions options = ReceiverOptions.of(TestServices.unique("bench-bridge"), topic);
    AtomicLong received = new AtomicLong();
    AtomicLong receivedBytes = new AtomicLong();
    AtomicLong firstReceive = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    Scheduler stage = Schedulers.newSingle("bench-stage");
    long start = System.nanoTime();
    Disposable receiving =
        new KafkaReceiver(kafka, options)
            .receive()
            .publishOn(stage, PREFETCH)
            .subscribe(
                r -> {
                  firstReceive.compareAndSet(0, System.nanoTime());
                  receivedBytes.addAndGet(r.value().length);
                  r.acknowledge();
                  if (received.incrementAndGet() == records) {
                    done.countDown();
                  }
                });
    long sendEnd;
    try (KafkaSender sender = new KafkaSender(kafka)) {
      sender
          .sendAll(
              Flux.range(0, records).map(i -> new ProducerRecord<>(topic, null, record(i))),
              SENDER_IN_FLIGHT)
          .blockLast(TIMEOUT);
      sendEnd = System.nanoTime();
      await(done, "bridge");
    } finally {
      receiving.dispose();
      stage.dispose();
    }
    long end = System.nanoTime();
    return run("bridge", receivedBytes.get(), start, sendEnd, firstReceive.get(), end);
  }

  private Run bare() throws Exception {
    String topic = freshTopic("bare");
    String group = TestServices.unique("bench-bare");
    AtomicLong receivedBytes = new AtomicLong();
    AtomicLong firstReceive = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    long start = System.nanoTime();
    Thread consumerThread =
        new Thread(
            () -> {
              Map<String, Object> props = kafka.consumerProperties(group);
              props.put(
                  ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                  ReceiverOptions.of(group, topic).maxPollRecords());
              long count = 0;
              try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
                consumer.subscribe(List.of(topic));
                while (count < records) {
                  ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(100));
                  for (ConsumerRecord<byte[], byte[]> r : polled) {
                    firstReceive.compareAndSet(0, System.nanoTime());
                    receivedBytes.addAndGet(r.value().length);
                    count++;
                  }
                  if (!polled.isEmpty()) {
                    consumer.commitAsync();
                  }
                }
                consumer.commitSync();
              } catch (RuntimeException e) {
                failure.set(e);
              }
              done.countDown();
            },
            "bench-bare-consumer");
    consumerThread.start();
    long sendEnd;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProperties())) {
      for (int i = 0; i < records; i++) {
        producer.send(
            new ProducerRecord<>(topic, null, record(i)),
            (metadata, error) -> {
              if (error != null) {
                failure.compareAndSet(null, error);
              }
            });
      }
      producer.flush();
      sendEnd = System.nanoTime();
    }
    await(done, "bare");
    if (failure.get() != null) {
      throw new IllegalStateException("bare path failed", failure.get());
    }
    long end = System.nanoTime();
    return run("bare", receivedBytes.get(), start, sendEnd, firstReceive.get(), end);
  }

  private static Run run(
      String path, long bytes, long start, long sendEnd, long firstReceive, long end) {
    return new Run(
        path, bytes, (sendEnd - start) / 1e9, (end - firstReceive) / 1e9, (end - start) / 1e9);
  }

  private static void await(CountDownLatch done, String path) throws InterruptedException {
    if (!done.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException(
          path + " path did not receive every record within " + TIMEOUT);
    }
  }

  private static void report(int records, List<Run> bridge, List<Run> bare) {
    System.out.printf(
        Locale.ROOT,
        "%-7s %5s %8s | %9s %9s | %9s %9s | %9s %9s%n",
        "path",
        "round",
        "MB",
        "send MB/s",
        "send r/s",
        "recv MB/s",
        "recv r/s",
        "e2e MB/s",
        "e2e r/s");
    List<Run> all = new ArrayList<>(bridge);
    all.addAll(bare);
    for (Run run : all) {
      int round = (run.path().equals("bridge") ? bridge : bare).indexOf(run) + 1;
      System.out.printf(
          Locale.ROOT,
          "%-7s %5d %8.0f | %9.1f %9.1f | %9.1f %9.1f | %9.1f %9.1f%n",
          run.path(),
          round,
          run.bytes() / 1e6,
          run.mbPerSecond(run.sendSeconds()),
          run.recordsPerSecond(records, run.sendSeconds()),
          run.mbPerSecond(run.receiveSeconds()),
          run.recordsPerSecond(records, run.receiveSeconds()),
          run.mbPerSecond(run.totalSeconds()),
          run.recordsPerSecond(records, run.totalSeconds()));
    }
    double bridgeMbs = median(bridge);
    double bareMbs = median(bare);
    System.out.printf(
        Locale.ROOT,
        "median end-to-end (produce+consume) MB/s over %d rounds of %d records: bridge %.1f, bare %.1f%n",
        bridge.size(),
        records,
        bridgeMbs,
        bareMbs);
    System.out.printf(
        Locale.ROOT,
        "RESULT kafka-bridge bridge_mb_s=%.1f bare_mb_s=%.1f ratio=%.3f%n",
        bridgeMbs,
        bareMbs,
        bridgeMbs / bareMbs);
  }

  private static double median(List<Run> runs) {
    double[] values = runs.stream().mapToDouble(r -> r.mbPerSecond(r.totalSeconds())).toArray();
    Arrays.sort(values);
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      List<Path> all = new ArrayList<>(paths.toList());
      Collections.reverse(all);
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    } catch (Exception e) {
      System.err.println("could not delete " + dir + ": " + e);
    }
  }
}
