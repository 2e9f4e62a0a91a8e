package dev.cardinal.trainer;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.TopicSnapshot;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.wire.WireFormatException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a run's newest {@code keepLast} checkpoints plus its {@code keepBest} best by evaluation
 * top-1 (any resolution, raw or EMA); deletes the rest from S3 and announces each deletion.
 */
public final class Retention {
  private static final Logger log = LoggerFactory.getLogger(Retention.class);

  private final String runId;
  private final int keepLast;
  private final int keepBest;
  private final KafkaSettings kafka;
  private final CheckpointStore store;
  private final KafkaSender sender;
  private final Map<Long, Double> bestTop1ByStep = new HashMap<>();
  private final Map<TopicPartition, Long> evaluationOffsets = new HashMap<>();

  public Retention(
      String runId,
      int keepLast,
      int keepBest,
      KafkaSettings kafka,
      CheckpointStore store,
      KafkaSender sender) {
    this.runId = runId;
    this.keepLast = keepLast;
    this.keepBest = keepBest;
    this.kafka = kafka;
    this.store = store;
    this.sender = sender;
  }

  /** Which of {@code steps} to keep given top-1 scores; pure, for testing. */
  static Set<Long> keep(List<Long> steps, Map<Long, Double> top1, int keepLast, int keepBest) {
    List<Long> newestFirst = new ArrayList<>(steps);
    newestFirst.sort(Comparator.reverseOrder());
    Set<Long> kept = new HashSet<>(newestFirst.subList(0, Math.min(keepLast, newestFirst.size())));
    steps.stream()
        .filter(top1::containsKey)
        .sorted(
            Comparator.comparing((Long s) -> top1.get(s))
                .reversed()
                .thenComparing(Comparator.reverseOrder()))
        .limit(keepBest)
        .forEach(kept::add);
    return kept;
  }

  /** Applies the policy to the run's complete checkpoints now. */
  public synchronized void apply() {
    readNewEvaluations();
    List<Long> steps = store.completeCheckpoints(runId);
    Set<Long> kept = keep(steps, bestTop1ByStep, keepLast, keepBest);
    for (long step : steps) {
      if (kept.contains(step)) {
        continue;
      }
      String prefix = CheckpointStore.checkpointPrefix(runId, step);
      store.deletePrefix(prefix);
      CheckpointEvent deleted =
          new CheckpointEvent(
              CheckpointEvent.SCHEMA_VERSION,
              CheckpointEvent.DELETED,
              runId,
              step,
              0,
              0,
              store.settings().bucket(),
              prefix,
              null,
              null,
              null,
              Map.of(),
              System.currentTimeMillis());
      sender
          .send(
              Topics.CHECKPOINTS,
              deleted.checkpointId().getBytes(StandardCharsets.UTF_8),
              Json.toBytes(deleted))
          .block(Duration.ofSeconds(30));
      log.info("Run {}: retention deleted checkpoint {}", runId, step);
    }
  }

  private void readNewEvaluations() {
    for (ConsumerRecord<byte[], byte[]> record :
        TopicSnapshot.read(kafka, Topics.EVALUATIONS, evaluationOffsets, Duration.ofSeconds(30))) {
      evaluationOffsets.put(
          new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
      try {
        EvaluationEvent e = Json.fromBytes(record.value(), EvaluationEvent.class);
        if (runId.equals(e.runId()) && e.error() == null && !Double.isNaN(e.top1())) {
          bestTop1ByStep.merge(e.step(), e.top1(), Math::max);
        }
      } catch (WireFormatException e) {
        // Not ours to judge: the registry dead-letters malformed evaluations.
      }
    }
  }
}
