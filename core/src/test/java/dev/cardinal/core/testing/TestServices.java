package dev.cardinal.core.testing;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.config.S3Settings;
import dev.cardinal.core.embedded.EmbeddedKafka;
import dev.cardinal.core.embedded.EmbeddedS3;
import dev.cardinal.core.kafka.TopicAdmin;
import dev.cardinal.core.s3.CheckpointStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The real Kafka broker and S3 server that tests run against, shared by every test of a JVM and
 * started on first use. Kafka is a Testcontainers broker (apache/kafka) where Docker runs, else an
 * in-process {@link EmbeddedKafka}; {@code -Dcardinal.test.kafka=embedded} forces the latter. S3 is
 * an {@link EmbeddedS3} with the bucket already created. Everything stops, and temp folders are
 * deleted, when the JVM exits.
 *
 * <p>Tests share the services, so each one names its topics, groups and object prefixes with {@link
 * #unique(String)}.
 */
public final class TestServices {
  public static final String S3_ACCESS_KEY = "cardinal-test-key";
  public static final String S3_SECRET_KEY = "cardinal-test-secret";
  public static final String S3_BUCKET = "cardinal-test";

  private static final Logger log = LoggerFactory.getLogger(TestServices.class);
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final Deque<AutoCloseable> RESOURCES = new ArrayDeque<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(TestServices::closeAll, "cardinal-test-services-shutdown"));
  }

  private TestServices() {}

  /** The shared broker of this JVM. */
  public static KafkaSettings kafka() {
    return SharedKafka.SETTINGS;
  }

  /** The shared S3 server of this JVM, with bucket {@link #S3_BUCKET}. */
  public static S3Settings s3() {
    return SharedS3.SETTINGS;
  }

  /** A checkpoint store on the shared S3 server, shared too; closed at JVM exit. */
  public static CheckpointStore checkpointStore() {
    return SharedS3.STORE;
  }

  /** A broker of the caller's own (for tests that stop it or fill it up); stops at JVM exit. */
  public static KafkaSettings freshKafka() {
    return startKafka();
  }

  /** The shared broker, with every Cardinal topic created as the stages expect it. */
  public static KafkaSettings kafkaWithTopics() {
    KafkaSettings kafka = kafka();
    TopicAdmin.ensureTopics(kafka);
    return kafka;
  }

  /** A broker of the caller's own with every Cardinal topic created; stops at JVM exit. */
  public static KafkaSettings freshKafkaWithTopics() {
    KafkaSettings kafka = freshKafka();
    TopicAdmin.ensureTopics(kafka);
    return kafka;
  }

  /** A name no other test of this JVM uses: {@code prefix-7-k3x9q}. */
  public static String unique(String prefix) {
    String suffix =
        Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36), 36);
    return prefix + "-" + COUNTER.incrementAndGet() + "-" + suffix;
  }

  /** A temp directory deleted at JVM exit. */
  public static Path tempDir(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      register(() -> deleteRecursively(dir));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates a topic that takes records up to {@link KafkaSettings#MAX_RECORD_BYTES}. */
  public static void createTopic(KafkaSettings settings, String topic, int partitions) {
    createTopic(
        settings,
        topic,
        partitions,
        Map.of(
            TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(KafkaSettings.MAX_RECORD_BYTES)));
  }

  /** A topic with these topic configs (e.g. those of a Cardinal topic, for a fair baseline). */
  public static void createTopic(
      KafkaSettings settings, String topic, int partitions, Map<String, String> configs) {
    try (Admin admin = Admin.create(settings.adminProperties())) {
      NewTopic newTopic = new NewTopic(topic, partitions, (short) 1).configs(configs);
      admin.createTopics(List.of(newTopic)).all().get(30, TimeUnit.SECONDS);
      TopicAdmin.awaitReady(admin, List.of(topic), Duration.ofSeconds(30));
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create topic " + topic + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Every record in the topic when this is called, read from the beginning of each partition
   * without a consumer group (nothing is committed), in partition then offset order.
   *
   * @throws AssertionError when the records are not all read within the timeout
   */
  public static List<ConsumerRecord<byte[], byte[]>> consumeAll(
      KafkaSettings settings, String topic, Duration timeout) {
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(settings.consumerProperties(null))) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, timeout).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .sorted(Comparator.comparingInt(TopicPartition::partition))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, timeout));
      Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> byPartition = new HashMap<>();
      Await.until(
          timeout,
          "every record of " + topic + " up to its end offsets " + end,
          () -> {
            // Polls back to back while records come; the wait between checks is only for a
            // broker that has nothing to send yet.
            while (!caughtUp(consumer, end)) {
              ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
              if (records.isEmpty()) {
                return false;
              }
              for (ConsumerRecord<byte[], byte[]> record : records) {
                TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                if (record.offset() < end.get(tp)) {
                  byPartition.computeIfAbsent(tp, k -> new ArrayList<>()).add(record);
                }
              }
            }
            return true;
          });
      List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
      for (TopicPartition tp : partitions) {
        all.addAll(byPartition.getOrDefault(tp, List.of()));
      }
      return all;
    }
  }

  /**
   * Returns once consumer group {@code group} has {@code members} members and each holds at least
   * one partition: the rebalance after a stage instance joined is over.
   *
   * @throws AssertionError naming the group when that does not happen within a minute
   */
  public static void awaitGroupMembersHoldingPartitions(
      KafkaSettings settings, String group, int members) {
    try (Admin admin = Admin.create(settings.adminProperties())) {
      Await.until(
          Duration.ofSeconds(60),
          members + " members of group " + group + " each holding partitions",
          () -> {
            ConsumerGroupDescription description =
                admin
                    .describeConsumerGroups(List.of(group))
                    .all()
                    .get(10, TimeUnit.SECONDS)
                    .get(group);
            return description.members().size() == members
                && description.members().stream()
                    .allMatch(m -> !m.assignment().topicPartitions().isEmpty());
          });
    }
  }

  private static boolean caughtUp(
      KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
    Set<TopicPartition> assigned = consumer.assignment();
    for (TopicPartition tp : assigned) {
      if (consumer.position(tp) < end.get(tp)) {
        return false;
      }
    }
    return true;
  }

  private static final class SharedKafka {
    static final KafkaSettings SETTINGS = startKafka();
  }

  private static final class SharedS3 {
    static final S3Settings SETTINGS = startS3();
    static final CheckpointStore STORE = register(new CheckpointStore(SETTINGS));
  }

  private static final class Docker {
    static final boolean AVAILABLE = dockerAvailable();

    private static boolean dockerAvailable() {
      if ("embedded".equals(System.getProperty("cardinal.test.kafka"))) {
        return false;
      }
      try {
        return DockerClientFactory.instance().isDockerAvailable();
      } catch (RuntimeException | LinkageError e) {
        return false;
      }
    }
  }

  private static KafkaSettings startKafka() {
    long started = System.nanoTime();
    if (Docker.AVAILABLE) {
      String image =
          System.getProperty("cardinal.test.kafka.image", "apache/kafka:" + kafkaVersion());
      KafkaContainer container =
          new KafkaContainer(image)
              .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
              .withEnv(
                  "KAFKA_MESSAGE_MAX_BYTES",
                  String.valueOf(KafkaSettings.MAX_RECORD_BYTES + 1048576));
      container.start();
      register(container::stop);
      log.info(
          "Test Kafka: Testcontainers {} at {} (started in {} ms)",
          image,
          container.getBootstrapServers(),
          elapsedMs(started));
      return KafkaSettings.of(container.getBootstrapServers());
    }
    EmbeddedKafka kafka = EmbeddedKafka.start(tempDir("cardinal-test-kafka"), 0);
    register(kafka);
    log.info(
        "Test Kafka: in-process EmbeddedKafka at {} (no Docker; started in {} ms)",
        kafka.bootstrapServers(),
        elapsedMs(started));
    return kafka.settings();
  }

  /** The kafka-clients version on the classpath, so the container broker matches the client. */
  private static String kafkaVersion() {
    Properties props = new Properties();
    try (InputStream in =
        KafkaConsumer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
      if (in != null) {
        props.load(in);
      }
    } catch (IOException e) {
      // Fall through to the default.
    }
    return props.getProperty("version", "latest");
  }

  private static S3Settings startS3() {
    EmbeddedS3 s3 = EmbeddedS3.start(tempDir("cardinal-test-s3"), 0, S3_ACCESS_KEY, S3_SECRET_KEY);
    register(s3);
    S3Settings settings = s3.settings(S3_BUCKET);
    try (CheckpointStore store = new CheckpointStore(settings)) {
      store.ensureBucket();
    }
    return settings;
  }

  private static long elapsedMs(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1_000_000;
  }

  private static <T extends AutoCloseable> T register(T resource) {
    synchronized (RESOURCES) {
      RESOURCES.push(resource);
    }
    return resource;
  }

  private static void closeAll() {
    while (true) {
      AutoCloseable next;
      synchronized (RESOURCES) {
        next = RESOURCES.poll();
      }
      if (next == null) {
        return;
      }
      try {
        next.close();
      } catch (Exception e) {
        // The JVM is exiting; a failed cleanup must not hide the test results.
      }
    }
  }

  /** Deletes a folder and everything below it; a missing one is fine. */
  public static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
