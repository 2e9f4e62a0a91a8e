package dev.cardinal.registry;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pipeline health, measured from outside the stages: the consumer lag of every stage's group, the
 * records in every dead-letter topic, and each stage's throughput from the metric stream. A Kafka
 * admin client samples the broker every few seconds; the last sample is served as JSON ({@code GET
 * /api/health}) and as gauges on the shared meter registry, so {@code /metrics} shows the lag and
 * dead letters of every stage even when the stages run in other processes.
 */
final class PipelineHealth implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PipelineHealth.class);
  static final String LAG = "cardinal.pipeline.consumer.lag";
  static final String DEAD_LETTERS = "cardinal.pipeline.dead.letters";
  static final String THROUGHPUT = "cardinal.pipeline.images.per.second";
  static final Duration INTERVAL = Duration.ofSeconds(3);

  /** A throughput value older than this no longer counts: the stage has stopped reporting. */
  static final Duration STALE = Duration.ofMinutes(2);

  /**
   * Lag of one consumer group: records on its topics it has not committed yet.
   *
   * @param stage augment, trainer, evaluator or registry
   */
  record GroupLag(String group, String stage, long lag, int partitions, List<String> topics) {}

  /**
   * One sample. {@code error} says why the broker could not be asked; the rest is then the previous
   * sample's.
   *
   * @param deadLetters records in {@code cardinal.<stage>.dlq}, by stage
   * @param throughput images per second, by stage: the sum over its runs of each one's latest
   *     {@code images_per_s}
   */
  record Snapshot(
      long sampledAtMs,
      String error,
      List<GroupLag> groups,
      Map<String, Long> deadLetters,
      Map<String, Double> throughput) {}

  private final KafkaSettings kafka;
  private final String registryGroup;
  private final MetricHub hub;
  private final MeterRegistry registry;
  private final AtomicReference<Snapshot> latest =
      new AtomicReference<>(new Snapshot(0, "not sampled yet", List.of(), Map.of(), Map.of()));
  private final Map<String, Meter> meters = new ConcurrentHashMap<>();
  private final Map<String, Double> gaugeValues = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer = Background.timer("registry-pipeline-health");
  private Admin admin;

  PipelineHealth(KafkaSettings kafka, String registryGroup, MetricHub hub, MeterRegistry registry) {
    this.kafka = kafka;
    this.registryGroup = registryGroup;
    this.hub = hub;
    this.registry = registry;
  }

  void start() {
    timer.scheduleWithFixedDelay(
        this::sampleQuietly, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  Snapshot snapshot() {
    return latest.get();
  }

  private void sampleQuietly() {
    try {
      if (admin == null) {
        admin = Admin.create(kafka.adminProperties());
      }
      Snapshot s = sample();
      latest.set(s);
      publish(s);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        return;
      }
      Snapshot previous = latest.get();
      String why = "Kafka at " + kafka.bootstrapServers() + " did not answer: " + rootMessage(e);
      log.debug("Pipeline health sample failed: {}", why);
      latest.set(
          new Snapshot(
              previous.sampledAtMs(),
              why,
              previous.groups(),
              previous.deadLetters(),
              previous.throughput()));
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  private Snapshot sample() throws Exception {
    long timeout = 10;
    List<String> groups = new ArrayList<>();
    for (GroupListing g :
        admin
            .listGroups(ListGroupsOptions.forConsumerGroups())
            .all()
            .get(timeout, TimeUnit.SECONDS)) {
      if (stageOf(g.groupId()) != null) {
        groups.add(g.groupId());
      }
    }
    groups.sort(Comparator.naturalOrder());

    Map<String, Map<TopicPartition, OffsetAndMetadata>> committed = new HashMap<>();
    Set<TopicPartition> partitions = new java.util.HashSet<>();
    for (String group : groups) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(timeout, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetAndMetadata> present = new HashMap<>();
      offsets.forEach(
          (tp, o) -> {
            if (o != null) {
              present.put(tp, o);
            }
          });
      committed.put(group, present);
      partitions.addAll(present.keySet());
    }

    Set<String> topics = admin.listTopics().names().get(timeout, TimeUnit.SECONDS);
    List<String> dlqs = new ArrayList<>();
    for (String stage : Topics.STAGES) {
      if (topics.contains(Topics.deadLetters(stage))) {
        dlqs.add(Topics.deadLetters(stage));
      }
    }
    Map<TopicPartition, OffsetSpec> dlqPartitions = new HashMap<>();
    if (!dlqs.isEmpty()) {
      admin
          .describeTopics(dlqs)
          .allTopicNames()
          .get(timeout, TimeUnit.SECONDS)
          .forEach(
              (name, d) ->
                  d.partitions()
                      .forEach(
                          p ->
                              dlqPartitions.put(
                                  new TopicPartition(name, p.partition()), OffsetSpec.latest())));
    }
    Map<TopicPartition, OffsetSpec> latestSpecs = new HashMap<>(dlqPartitions);
    partitions.forEach(tp -> latestSpecs.put(tp, OffsetSpec.latest()));
    Map<TopicPartition, Long> end = offsets(latestSpecs, timeout);
    Map<TopicPartition, OffsetSpec> earliestSpecs = new HashMap<>();
    dlqPartitions.keySet().forEach(tp -> earliestSpecs.put(tp, OffsetSpec.earliest()));
    Map<TopicPartition, Long> start = offsets(earliestSpecs, timeout);

    List<GroupLag> lags = new ArrayList<>();
    for (String group : groups) {
      long lag = 0;
      Set<String> groupTopics = new TreeSet<>();
      Map<TopicPartition, OffsetAndMetadata> offsets = committed.get(group);
      for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
        Long last = end.get(e.getKey());
        if (last != null) {
          lag += Math.max(0, last - e.getValue().offset());
        }
        groupTopics.add(e.getKey().topic());
      }
      lags.add(new GroupLag(group, stageOf(group), lag, offsets.size(), List.copyOf(groupTopics)));
    }

    Map<String, Long> deadLetters = new TreeMap<>();
    for (String stage : Topics.STAGES) {
      deadLetters.put(stage, 0L);
    }
    for (TopicPartition tp : dlqPartitions.keySet()) {
      String stage = tp.topic().substring("cardinal.".length(), tp.topic().length() - 4);
      long count = end.getOrDefault(tp, 0L) - start.getOrDefault(tp, 0L);
      deadLetters.merge(stage, Math.max(0, count), Long::sum);
    }
    return new Snapshot(
        System.currentTimeMillis(), null, List.copyOf(lags), deadLetters, throughput());
  }

  private Map<TopicPartition, Long> offsets(Map<TopicPartition, OffsetSpec> specs, long timeout)
      throws Exception {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (specs.isEmpty()) {
      return out;
    }
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> found =
        admin.listOffsets(specs).all().get(timeout, TimeUnit.SECONDS);
    found.forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  private Map<String, Double> throughput() {
    long fresh = System.currentTimeMillis() - STALE.toMillis();
    Map<String, Double> out = new TreeMap<>();
    for (MetricHub.Latest l : hub.latest("images_per_s")) {
      if (l.timestampMs() >= fresh && Double.isFinite(l.value())) {
        out.merge(l.stage(), l.value(), Double::sum);
      }
    }
    return out;
  }

  /** The stage a consumer group belongs to, or null for a group that is not a stage's. */
  String stageOf(String group) {
    if (group.equals(registryGroup)) {
      return "registry";
    }
    if (group.equals("cardinal-augment")) {
      return "augment";
    }
    if (group.startsWith("cardinal-trainer-")) {
      return "trainer";
    }
    if (group.equals("cardinal-evaluator")) {
      return "evaluator";
    }
    if (group.equals("cardinal-registry")) {
      return "registry";
    }
    return null;
  }

  private void publish(Snapshot s) {
    for (GroupLag g : s.groups()) {
      gauge(
          LAG,
          "Records a stage's consumer group has not committed yet",
          "group",
          g.group(),
          g.stage(),
          g.lag());
    }
    s.deadLetters()
        .forEach(
            (stage, count) ->
                gauge(
                    DEAD_LETTERS,
                    "Records in the stage's dead-letter topic",
                    null,
                    null,
                    stage,
                    count));
    s.throughput()
        .forEach(
            (stage, value) ->
                gauge(
                    THROUGHPUT,
                    "Images per second the stage last reported",
                    null,
                    null,
                    stage,
                    value));
  }

  private void gauge(
      String name, String description, String tag, String tagValue, String stage, double value) {
    String key = name + "|" + stage + "|" + tagValue;
    gaugeValues.put(key, value);
    meters.computeIfAbsent(
        key,
        k -> {
          Gauge.Builder<Map<String, Double>> b =
              Gauge.builder(name, gaugeValues, m -> m.getOrDefault(k, Double.NaN))
                  .description(description)
                  .tag("stage", stage);
          if (tag != null) {
            b = b.tag(tag, tagValue);
          }
          return b.register(registry);
        });
  }

  @Override
  public void close() {
    Background.stop(timer);
    if (admin != null) {
      admin.close(Duration.ofSeconds(2));
    }
    meters.values().forEach(registry::remove);
    meters.clear();
  }
}
