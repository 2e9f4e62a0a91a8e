package dev.cardinal.core.kafka;

import dev.cardinal.core.config.KafkaSettings;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * Kafka topics as a Reactor {@link Flux} with real backpressure, on plain kafka-clients.
 *
 * <p>One dedicated thread owns the {@link KafkaConsumer} (it is not thread-safe). When downstream
 * has no outstanding demand, every assigned partition is paused, so at most one poll's worth of
 * records ({@link ReceiverOptions#maxPollRecords()}) is ever buffered beyond what was requested.
 * Offsets are committed only for acknowledged records, in batches or on a timer, and synchronously
 * when partitions are revoked and when the flux is cancelled.
 *
 * <p>With a {@link StreamOrder}, records of several partitions are merged back into stream order
 * before they go downstream; a partition whose records are waiting in the merge is paused, so the
 * merge holds at most about one poll's worth per partition.
 */
public final class KafkaReceiver {
  private static final Logger log = LoggerFactory.getLogger(KafkaReceiver.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();

  private final KafkaSettings settings;
  private final ReceiverOptions options;

  public KafkaReceiver(KafkaSettings settings, ReceiverOptions options) {
    this.settings = settings;
    this.options = options;
  }

  /** A cold flux: each subscription opens its own consumer, closed when the flux terminates. */
  public Flux<ReceivedRecord> receive() {
    return Flux.create(
        sink -> {
          PollLoop loop = new PollLoop(sink);
          sink.onRequest(loop::request);
          sink.onDispose(loop::stop);
          Thread thread =
              new Thread(
                  loop, "kafka-receiver-" + options.groupId() + "-" + THREAD_IDS.incrementAndGet());
          thread.setDaemon(true);
          thread.start();
        },
        FluxSink.OverflowStrategy.BUFFER);
  }

  private final class PollLoop implements Runnable, ConsumerRebalanceListener {
    private final FluxSink<ReceivedRecord> sink;
    private final AtomicLong demand = new AtomicLong();
    private final Object demandSignal = new Object();
    private final Map<TopicPartition, PartitionProgress> progress = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Long> pendingSeeks = new HashMap<>(options.startOffsets());
    private final OrderedMerge merge =
        options.order() == null ? null : new OrderedMerge(options.order());
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private final AtomicLong acknowledgedSinceCommit = new AtomicLong();
    private long lastCommitNanos = System.nanoTime();

    PollLoop(FluxSink<ReceivedRecord> sink) {
      this.sink = sink;
    }

    void request(long n) {
      // Demand goes negative when a poll returned more than was requested; only a sum of two
      // positives can overflow.
      long now =
          demand.accumulateAndGet(
              n, (a, b) -> a == Long.MAX_VALUE || (a > 0 && a + b < 0) ? Long.MAX_VALUE : a + b);
      if (now > 0 && now - n <= 0) {
        signalDemand();
      }
    }

    /**
     * Ends the loop within one poll timeout. No {@code wakeup()}: it would abort whichever blocking
     * call comes next, which may be the final synchronous commit.
     */
    void stop() {
      running = false;
      signalDemand();
    }

    private void signalDemand() {
      synchronized (demandSignal) {
        demandSignal.notifyAll();
      }
    }

    /**
     * Waits while downstream wants nothing. A request wakes this at once; a paused poll could not
     * be woken (short of {@code wakeup()}) and would add its whole timeout to every stall.
     */
    private void awaitDemand() throws InterruptedException {
      synchronized (demandSignal) {
        if (running && demand.get() <= 0) {
          demandSignal.wait(POLL_TIMEOUT.toMillis());
        }
      }
    }

    @Override
    public void run() {
      Map<String, Object> props = settings.consumerProperties(options.groupId());
      props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, options.maxPollRecords());
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
        consumer = c;
        c.subscribe(options.topics(), this);
        while (running) {
          commitIfDue(c);
          boolean starved = applyBackpressure(c);
          // Starved, the poll only keeps the group membership and commits going.
          ConsumerRecords<byte[], byte[]> records = c.poll(starved ? Duration.ZERO : POLL_TIMEOUT);
          for (ConsumerRecord<byte[], byte[]> record : records) {
            if (merge == null) {
              emit(record);
            } else {
              merge.add(new TopicPartition(record.topic(), record.partition()), record);
            }
          }
          if (merge != null) {
            emitMerged(c);
          }
          if (starved) {
            awaitDemand();
          }
        }
        // The consumer stays set: close() below revokes the partitions and calls back into
        // onPartitionsRevoked, which must still be able to commit.
        commitSync(c, progress.keySet());
      } catch (RuntimeException e) {
        log.error("Kafka receiver for group {} failed: {}", options.groupId(), e.toString());
        sink.error(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        sink.error(e);
      }
    }

    private void emit(ConsumerRecord<byte[], byte[]> record) {
      PartitionProgress partition =
          progress.computeIfAbsent(
              new TopicPartition(record.topic(), record.partition()),
              tp -> new PartitionProgress(tp, acknowledgedSinceCommit));
      partition.emitted(record.offset());
      demand.decrementAndGet();
      sink.next(new ReceivedRecord(record, partition));
    }

    /** Emits what the merge releases in stream order, as far as downstream asked. */
    private void emitMerged(KafkaConsumer<byte[], byte[]> c) {
      Set<TopicPartition> assigned = c.assignment();
      while (demand.get() > 0) {
        ConsumerRecord<byte[], byte[]> next = merge.next(assigned, System.nanoTime());
        if (next == null) {
          return;
        }
        emit(next);
      }
    }

    /**
     * Pauses every partition when downstream wants nothing, and with a merge each partition that
     * has records waiting in it; true when downstream wants nothing.
     */
    private boolean applyBackpressure(KafkaConsumer<byte[], byte[]> c) {
      Set<TopicPartition> assigned = c.assignment();
      if (assigned.isEmpty()) {
        return false;
      }
      if (demand.get() <= 0) {
        c.pause(assigned);
        return true;
      }
      if (merge == null) {
        if (!c.paused().isEmpty()) {
          c.resume(c.paused());
        }
        return false;
      }
      Set<TopicPartition> full = new HashSet<>();
      Set<TopicPartition> hungry = new HashSet<>();
      for (TopicPartition tp : assigned) {
        (merge.hasWaiting(tp) ? full : hungry).add(tp);
      }
      c.pause(full);
      c.resume(hungry);
      return false;
    }

    private void commitIfDue(KafkaConsumer<byte[], byte[]> c) {
      long now = System.nanoTime();
      boolean timerDue = now - lastCommitNanos >= options.commitInterval().toNanos();
      if (!timerDue && acknowledgedSinceCommit.get() < options.commitBatchSize()) {
        return;
      }
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      for (PartitionProgress p : progress.values()) {
        long position = p.takeCommittable();
        if (position >= 0) {
          offsets.put(p.partition(), new OffsetAndMetadata(position));
        }
      }
      lastCommitNanos = now;
      acknowledgedSinceCommit.set(0);
      if (!offsets.isEmpty()) {
        c.commitAsync(
            offsets,
            (committed, error) -> {
              if (error != null) {
                // Runs on this thread, inside a later poll: the next commit retries these.
                log.warn("Commit of {} failed, will retry: {}", offsets, error.toString());
                for (TopicPartition tp : offsets.keySet()) {
                  PartitionProgress p = progress.get(tp);
                  if (p != null) {
                    p.commitFailed();
                  }
                }
              }
            });
      }
    }

    private void commitSync(KafkaConsumer<byte[], byte[]> c, Collection<TopicPartition> parts) {
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      for (TopicPartition tp : parts) {
        PartitionProgress p = progress.get(tp);
        long position = p == null ? -1 : p.position();
        if (position >= 0) {
          offsets.put(tp, new OffsetAndMetadata(position));
        }
      }
      if (!offsets.isEmpty()) {
        try {
          c.commitSync(offsets);
        } catch (RuntimeException e) {
          log.warn("Final commit of {} failed: {}", offsets, e.toString());
        }
      }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      commitSync(consumer, partitions);
      partitions.forEach(progress::remove);
      if (merge != null) {
        merge.drop(partitions);
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      partitions.forEach(progress::remove);
      if (merge != null) {
        merge.drop(partitions);
      }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        progress.put(tp, new PartitionProgress(tp, acknowledgedSinceCommit));
        Long start = pendingSeeks.remove(tp);
        if (start != null) {
          consumer.seek(tp, start);
        }
      }
      // Assignment happens inside poll(), which would otherwise fetch from the new partitions
      // in the same call even when downstream asked for nothing.
      if (demand.get() <= 0 && !partitions.isEmpty()) {
        consumer.pause(partitions);
      }
    }
  }
}
