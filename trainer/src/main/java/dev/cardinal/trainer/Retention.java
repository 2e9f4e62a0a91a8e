package dev.cardinal.trainer;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.AnnotationEvent;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.kafka.AnnotationLog;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.TopicSnapshot;
import dev.cardinal.core.s3.CheckpointStore;
import dev.cardinal.core.wire.WireFormatException;
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
 * top-1 (any resolution, raw or EMA); deletes the rest from S3 and announces each deletion. Never
 * deletes a checkpoint that has no evaluation yet (a failed one counts: it will not be scored
 * again) or that an alias or tag holds.
 *
 * <p>Aliases and tags are set in the registry, another process: they reach retention through {@code
 * cardinal.annotations}. Before deleting, retention appends a DELETE_INTENT there; the partition's
 * order then decides a race with an alias set at the same moment (see {@code AnnotationFold}): an
 * alias before the intent keeps the checkpoint (retention appends DELETE_CANCELLED), an alias after
 * it is refused by the registry.
 */
public final class Retention implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Retention.class);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final String runId;
  private final int keepLast;
  private final int keepBest;
  private final KafkaSettings kafka;
  private final CheckpointStore store;
  private final KafkaSender sender;
  private final AnnotationLog annotations;
  private final Map<Long, Double> bestTop1ByStep = new HashMap<>();
  private final Set<Long> scored = new HashSet<>();
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
    this.annotations = new AnnotationLog(kafka, sender);
  }

  /** Which of {@code steps} the count policy keeps given top-1 scores; pure, for testing. */
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
    annotations.catchUp();
    List<Long> steps = store.completeCheckpoints(runId);
    Set<Long> kept = keep(steps, bestTop1ByStep, keepLast, keepBest);
    for (long step : steps) {
      if (kept.contains(step) || !scored.contains(step) || annotations.held(runId, step)) {
        if (annotations.deleting(runId, step)) {
          // An earlier pass announced this deletion and stopped before it (a crash, an S3
          // failure); the checkpoint is kept now, so aliases must be accepted for it again.
          annotations.append(AnnotationEvent.deleteCancelled(runId, step));
          log.info("Run {}: retention keeps checkpoint {} after all", runId, step);
        }
        continue;
      }
      if (announceDeletion(step)) {
        delete(step);
      }
    }
  }

  /**
   * Appends the intent to delete {@code step} to the annotations log. From then on the registry
   * refuses new aliases and tags on it.
   *
   * @return true when the checkpoint may be deleted; false when an alias or tag set before the
   *     intent holds it, in which case the intent is cancelled
   */
  public synchronized boolean announceDeletion(long step) {
    if (annotations.append(AnnotationEvent.deleteIntent(runId, step))) {
      return true;
    }
    annotations.append(AnnotationEvent.deleteCancelled(runId, step));
    log.info("Run {}: checkpoint {} was aliased or tagged first; retention keeps it", runId, step);
    return false;
  }

  /** Deletes an announced checkpoint from S3 and says so on the checkpoint topic. */
  public synchronized void delete(long step) {
    String prefix = CheckpointStore.checkpointPrefix(runId, step);
    store.deletePrefix(prefix);
    CheckpointEvent deleted =
        CheckpointEvent.deleted(
            runId, step, store.settings().bucket(), prefix, System.currentTimeMillis());
    sender.sendJson(Topics.CHECKPOINTS, deleted.checkpointId(), deleted).block(READ_TIMEOUT);
    log.info("Run {}: retention deleted checkpoint {}", runId, step);
  }

  private void readNewEvaluations() {
    for (ConsumerRecord<byte[], byte[]> record :
        TopicSnapshot.read(kafka, Topics.EVALUATIONS, evaluationOffsets, READ_TIMEOUT)) {
      evaluationOffsets.put(
          new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
      try {
        EvaluationEvent e = Json.fromBytes(record.value(), EvaluationEvent.class);
        if (!runId.equals(e.runId())) {
          continue;
        }
        // A failed evaluation counts as scored: the evaluator has had its turn at that step.
        scored.add(e.step());
        if (e.result().error() == null && e.result().scores().scored()) {
          bestTop1ByStep.merge(e.step(), e.result().scores().top1(), Math::max);
        }
      } catch (WireFormatException e) {
        // Not ours to judge: the registry dead-letters malformed evaluations.
      }
    }
  }

  @Override
  public synchronized void close() {
    annotations.close();
  }
}
