package dev.cardinal.evaluator;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.Verdict;
import dev.cardinal.core.kafka.TopicSnapshot;
import dev.cardinal.core.wire.WireFormatException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every instance of the group has published on {@code cardinal.evaluations}, read back before
 * each judgement: the train–eval gaps of the run's earlier checkpoints (so "widening" spans the
 * whole run, whoever scored them, and survives a restart) and the ids scored without error (so a
 * checkpoint redelivered after a rebalance is not scored twice).
 */
final class EvaluationHistory {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final Logger log = LoggerFactory.getLogger(EvaluationHistory.class);

  private final KafkaSettings kafka;
  private final RegularizationJudge judge = new RegularizationJudge();
  private final Map<TopicPartition, Long> offsets = new HashMap<>();
  private final Set<String> scoredEvaluations = new HashSet<>();

  EvaluationHistory(KafkaSettings kafka) {
    this.kafka = kafka;
  }

  /**
   * True when every evaluation the plan calls for is already on the topic without error.
   *
   * @param weightSets the checkpoint's weight sets ({@code raw}, and {@code ema} when it has them)
   */
  synchronized boolean alreadyScored(
      CheckpointEvent event, ScoringPlan plan, List<String> weightSets) {
    refresh();
    for (int resolution : plan.resolutions()) {
      for (String weights : weightSets) {
        String id = EvaluationEvent.evaluationId(event.runId(), event.step(), resolution, weights);
        if (!scoredEvaluations.contains(id)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * The run's regularization verdict at this checkpoint, judged against every earlier gap of the
   * run published so far.
   *
   * @param evalTop1 raw weights at the reference resolution; NaN when they could not be scored
   */
  synchronized Verdict judge(
      CheckpointEvent event, double trainTop1, double evalTop1, int resolution, int classes) {
    refresh();
    return judge.judge(event.runId(), event.step(), trainTop1, evalTop1, resolution, classes);
  }

  private void refresh() {
    List<ConsumerRecord<byte[], byte[]>> records;
    try {
      records = TopicSnapshot.read(kafka, Topics.EVALUATIONS, offsets, READ_TIMEOUT);
    } catch (IllegalStateException | KafkaException e) {
      log.warn("Cannot read earlier evaluations; judging without them: {}", e.getMessage());
      return;
    }
    for (ConsumerRecord<byte[], byte[]> record : records) {
      offsets.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
      try {
        EvaluationEvent e = Json.fromBytes(record.value(), EvaluationEvent.class);
        if (e.result().error() == null && e.evaluationId() != null) {
          scoredEvaluations.add(e.evaluationId());
        }
        Map<String, Double> evidence = e.result().regularization().evidence();
        Double gap = evidence == null ? null : evidence.get("gap");
        if (gap != null && e.runId() != null) {
          judge.record(e.runId(), e.step(), gap);
        }
      } catch (WireFormatException e) {
        // Not ours to judge: the registry dead-letters malformed evaluations.
      }
    }
  }
}
