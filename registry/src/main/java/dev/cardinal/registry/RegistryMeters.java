package dev.cardinal.registry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The registry's meters, registered on a (possibly shared) {@link MeterRegistry} and removed again
 * on {@link #close()} so a restarted server in the same JVM starts clean.
 */
final class RegistryMeters implements AutoCloseable {
  static final String CONSUMED = "cardinal.registry.events.consumed";
  static final String STORE_CHECKPOINTS = "cardinal.registry.store.checkpoints";
  static final String STORE_EVALUATIONS = "cardinal.registry.store.evaluations";
  static final String SSE_CLIENTS = "cardinal.registry.sse.clients";
  static final String METRIC_SERIES = "cardinal.registry.metric.series";

  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  RegistryMeters(MeterRegistry registry, CheckpointDb db, MetricHub hub) {
    this.registry = registry;
    gauge(STORE_CHECKPOINTS, "Checkpoint rows in the registry store", db::checkpointCount);
    gauge(STORE_EVALUATIONS, "Evaluation rows in the registry store", db::evaluationCount);
    gauge(SSE_CLIENTS, "Browsers connected to the live metric stream", hub::listenerCount);
    gauge(METRIC_SERIES, "(stage, run, metric) series held in memory", hub::seriesCount);
  }

  private void gauge(String name, String description, Supplier<Number> value) {
    meters.add(
        Gauge.builder(name, value)
            .description(description)
            .strongReference(true)
            .register(registry));
  }

  /**
   * Counts one consumed record.
   *
   * @param outcome {@code stored}, {@code streamed} or {@code dead_letter}
   */
  void consumed(String topic, String outcome) {
    counters
        .computeIfAbsent(
            topic + "\u0000" + outcome,
            k -> {
              Counter counter =
                  Counter.builder(CONSUMED)
                      .description("Kafka records the registry consumed, by topic and outcome")
                      .tag("topic", topic)
                      .tag("outcome", outcome)
                      .register(registry);
              synchronized (meters) {
                meters.add(counter);
              }
              return counter;
            })
        .increment();
  }

  @Override
  public void close() {
    synchronized (meters) {
      meters.forEach(registry::remove);
      meters.clear();
      counters.clear();
    }
  }
}
