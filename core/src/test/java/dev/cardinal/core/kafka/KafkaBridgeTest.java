package dev.cardinal.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestServices;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

class KafkaBridgeTest {
  private static final Logger log = LoggerFactory.getLogger(KafkaBridgeTest.class);
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** Sequence numbers from here on are markers, not data: a test awaits them, never counts them. */
  private static final int FIRST_MARKER = 1_000_000;

  private final KafkaSettings kafka = TestServices.kafka();

  @Test
  void cancelAndRestartInTheSameGroupLosesNothingAndKeepsTheBufferBounded() throws Exception {
    int records = 100_000;
    int partitions = 4;
    int maxPoll = 200;
    int prefetch = 64;
    String topic = TestServices.unique("bridge-restart");
    String group = TestServices.unique("group");
    TestServices.createTopic(kafka, topic, partitions);
    produce(topic, partitions, 0, records);

    ReceiverOptions options =
        ReceiverOptions.of(group, topic)
            .withMaxPollRecords(maxPoll)
            .withCommitInterval(Duration.ofMillis(200))
            .withCommitBatchSize(1000);
    AtomicIntegerArray seen = new AtomicIntegerArray(records);
    Scheduler slowStage = Schedulers.newSingle("slow-stage");
    try {
      // First run: stop halfway through, the way a stage stops when its process is told to.
      SlowStage first = new SlowStage(seen, records / 2);
      Disposable run = first.run(new KafkaReceiver(kafka, options), slowStage, prefetch);
      assertThat(first.target.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      run.dispose();

      // Second run, same group: picks up from the committed offsets.
      SlowStage second = new SlowStage(seen, Integer.MAX_VALUE);
      Disposable rerun = second.run(new KafkaReceiver(kafka, options), slowStage, prefetch);
      await(() -> distinct(seen) == records, "every record seen once the second run caught up");
      rerun.dispose();

      long processed = first.processed.get() + second.processed.get();
      long duplicates = processed - records;
      log.info(
          "{} records: first run {}, second run {}, duplicates {}, max buffered {} (bound {}),"
              + " max emitted beyond requested {} (bound {})",
          records,
          first.processed.get(),
          second.processed.get(),
          duplicates,
          Math.max(first.maxInFlight.get(), second.maxInFlight.get()),
          maxPoll + prefetch,
          Math.max(first.maxOverrun.get(), second.maxOverrun.get()),
          maxPoll);
      assertThat(distinct(seen)).as("records lost").isEqualTo(records);
      // Only records emitted but not acknowledged when the first run stopped can come twice.
      assertThat(duplicates).isBetween(0L, (long) maxPoll + prefetch);
      for (SlowStage stage : List.of(first, second)) {
        assertThat(stage.maxInFlight.get()).isLessThanOrEqualTo(maxPoll + prefetch);
        assertThat(stage.maxOverrun.get()).isLessThanOrEqualTo(maxPoll);
      }
    } finally {
      slowStage.dispose();
    }
  }

  @Test
  void outOfOrderAcknowledgementNeverCommitsPastAnUnacknowledgedRecord() throws Exception {
    String topic = TestServices.unique("bridge-ooo");
    String group = TestServices.unique("group");
    // Partition 1 stays empty but for a marker, sent once the 20 records of partition 0 are in.
    TestServices.createTopic(kafka, topic, 2);
    produce(topic, 1, 0, 20);
    TopicPartition tp = new TopicPartition(topic, 0);
    TopicPartition markerPartition = new TopicPartition(topic, 1);
    ReceiverOptions options =
        ReceiverOptions.of(group, topic)
            .withCommitInterval(Duration.ofMillis(20))
            .withCommitBatchSize(1);

    List<ReceivedRecord> received = new CopyOnWriteArrayList<>();
    Disposable run = new KafkaReceiver(kafka, options).receive().subscribe(received::add);
    try {
      await(() -> received.size() == 20, "20 records received");
      // Acknowledge from last to first, leaving offset 5 out.
      for (int i = 19; i >= 0; i--) {
        if (i != 5) {
          received.get(i).acknowledge();
        }
      }
      await(() -> committed(group, tp) == 5, "offset 5 committed");
      // Every commit round takes both partitions: once the marker's offset is committed, a round
      // ran with all the acknowledgements in, and it left partition 0 at the gap.
      produceTo(markerPartition, 20);
      await(() -> received.size() == 21, "the marker received");
      received.get(20).acknowledge();
      await(() -> committed(group, markerPartition) == 1, "the marker committed");
      assertThat(committed(group, tp)).isEqualTo(5);
    } finally {
      run.dispose();
    }

    // A restart in the same group starts at the unacknowledged record.
    List<ReceivedRecord> again = new CopyOnWriteArrayList<>();
    Disposable rerun = new KafkaReceiver(kafka, options).receive().subscribe(again::add);
    try {
      await(() -> again.size() == 15, "offsets 5..19 redelivered");
      assertThat(again.get(0).offset()).isEqualTo(5);
      again.get(0).acknowledge();
      await(() -> committed(group, tp) == 6, "offset 6 committed");
      again.forEach(ReceivedRecord::acknowledge);
      await(() -> committed(group, tp) == 20, "all committed");
    } finally {
      rerun.dispose();
    }
  }

  @Test
  void aRevokeCommitsAcknowledgedWorkSoTheNewMemberDoesNotRedoIt() throws Exception {
    int partitions = 4;
    String topic = TestServices.unique("bridge-revoke");
    String group = TestServices.unique("group");
    TestServices.createTopic(kafka, topic, partitions);
    produce(topic, partitions, 0, 200);

    // No timer or batch commits: only the revoke can commit A's work.
    ReceiverOptions neverOnTimer =
        ReceiverOptions.of(group, topic)
            .withCommitInterval(Duration.ofHours(1))
            .withCommitBatchSize(Integer.MAX_VALUE);
    Set<Integer> seenByA = ConcurrentHashMap.newKeySet();
    Set<Integer> seenByB = ConcurrentHashMap.newKeySet();
    List<Integer> all = new CopyOnWriteArrayList<>();
    Set<Integer> markers = ConcurrentHashMap.newKeySet();
    // Each consumer notes the markers apart from the records it was handed, and acknowledges all.
    java.util.function.BiFunction<ReceiverOptions, Set<Integer>, Disposable> consumer =
        (options, seen) ->
            new KafkaReceiver(kafka, options)
                .receive()
                .subscribe(
                    r -> {
                      if (sequence(r) >= FIRST_MARKER) {
                        markers.add(sequence(r));
                      } else {
                        seen.add(sequence(r));
                        all.add(sequence(r));
                      }
                      r.acknowledge();
                    });
    Disposable a = consumer.apply(neverOnTimer, seenByA);
    Disposable b = null;
    try {
      await(() -> seenByA.size() == 200, "A read the first 200 records");
      assertThat(committedOffsets(group)).as("nothing committed before the revoke").isEmpty();

      b = consumer.apply(ReceiverOptions.of(group, topic), seenByB);
      await(
          () -> committedOffsets(group).values().stream().mapToLong(o -> o.offset()).sum() == 200,
          "A committed its work when its partitions were revoked");

      produce(topic, partitions, 200, 200);
      await(() -> all.size() >= 400, "A and B read the next 200");
      // A record read twice would come before the marker sent after it on its partition.
      produce(topic, partitions, FIRST_MARKER, partitions);
      await(() -> markers.size() == partitions, "a marker read from every partition");

      assertThat(seenByB).as("B redid none of A's work").allMatch(seq -> seq >= 200).isNotEmpty();
      assertThat(new HashSet<>(all)).hasSize(400);
      assertThat(all).hasSize(400);
    } finally {
      a.dispose();
      if (b != null) {
        b.dispose();
      }
    }
  }

  /** Acknowledges every record after a small pause every 50, and watches the buffer. */
  private static final class SlowStage {
    final AtomicIntegerArray seen;
    final CountDownLatch target = new CountDownLatch(1);
    final int targetCount;
    final AtomicLong requested = new AtomicLong();
    final AtomicLong processed = new AtomicLong();
    final AtomicLong maxInFlight = new AtomicLong();
    final AtomicLong maxOverrun = new AtomicLong();
    final Set<PartitionProgress> partitions = ConcurrentHashMap.newKeySet();

    SlowStage(AtomicIntegerArray seen, int targetCount) {
      this.seen = seen;
      this.targetCount = targetCount;
    }

    Disposable run(KafkaReceiver receiver, Scheduler scheduler, int prefetch) {
      return receiver
          .receive()
          .doOnRequest(
              n -> requested.accumulateAndGet(n, (x, y) -> x + y < 0 ? Long.MAX_VALUE : x + y))
          .publishOn(scheduler, prefetch)
          .subscribe(this::process);
    }

    private void process(ReceivedRecord record) {
      partitions.add(record.progress());
      long done = processed.get();
      if (done % 16 == 0) {
        // Emitted by the poll loop and not yet acknowledged: everything buffered anywhere.
        long inFlight = partitions.stream().mapToLong(PartitionProgress::inFlightCount).sum();
        maxInFlight.accumulateAndGet(inFlight, Math::max);
        maxOverrun.accumulateAndGet(inFlight + done - requested.get(), Math::max);
      }
      seen.incrementAndGet(sequence(record));
      if (done % 50 == 0) {
        LockSupport.parkNanos(1_000_000);
      }
      record.acknowledge();
      if (processed.incrementAndGet() == targetCount) {
        target.countDown();
      }
    }
  }

  private void produce(String topic, int partitions, int first, int count) {
    try (KafkaSender sender = new KafkaSender(kafka)) {
      sender
          .sendAll(
              Flux.range(first, count)
                  .map(
                      i -> {
                        byte[] value = new byte[100];
                        ByteBuffer.wrap(value).putInt(i);
                        return new ProducerRecord<byte[], byte[]>(
                            topic, i % partitions, null, value);
                      }),
              1024)
          .blockLast(WAIT);
    }
  }

  private void produceTo(TopicPartition partition, int sequence) {
    byte[] value = new byte[100];
    ByteBuffer.wrap(value).putInt(sequence);
    try (KafkaSender sender = new KafkaSender(kafka)) {
      sender
          .send(
              new ProducerRecord<byte[], byte[]>(
                  partition.topic(), partition.partition(), null, value))
          .block(WAIT);
    }
  }

  private static int sequence(ReceivedRecord record) {
    return ByteBuffer.wrap(record.value()).getInt();
  }

  private static int distinct(AtomicIntegerArray seen) {
    int n = 0;
    for (int i = 0; i < seen.length(); i++) {
      if (seen.get(i) > 0) {
        n++;
      }
    }
    return n;
  }

  private long committed(String group, TopicPartition tp) throws Exception {
    OffsetAndMetadata offset = committedOffsets(group).get(tp);
    return offset == null ? -1 : offset.offset();
  }

  private Map<TopicPartition, OffsetAndMetadata> committedOffsets(String group) throws Exception {
    try (Admin admin = Admin.create(kafka.adminProperties())) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(30, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetAndMetadata> present = new ConcurrentHashMap<>();
      offsets.forEach(
          (tp, o) -> {
            if (o != null) {
              present.put(tp, o);
            }
          });
      return present;
    }
  }

  private static void await(Await.Condition condition, String what) {
    Await.until(WAIT, what, condition);
  }
}
