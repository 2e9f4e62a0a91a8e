package dev.cardinal.registry;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.KafkaReceiver;
import dev.cardinal.core.kafka.ReceivedRecord;
import dev.cardinal.core.kafka.ReceiverOptions;
import dev.cardinal.core.wire.WireFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * Feeds the metric topic into the {@link MetricHub}. Every registry instance reads every metric
 * (its own consumer group), so a bad record is counted and logged here but not dead-lettered: N
 * instances would send N copies.
 */
final class MetricIngest implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricIngest.class);

  private final KafkaReceiver receiver;
  private final MetricHub hub;
  private final RegistryMeters meters;
  private Disposable subscription;

  MetricIngest(KafkaSettings kafka, ReceiverOptions options, MetricHub hub, RegistryMeters meters) {
    this.receiver = new KafkaReceiver(kafka, options);
    this.hub = hub;
    this.meters = meters;
  }

  void start() {
    subscription =
        Background.consumeForever(
            receiver.receive().doOnNext(this::accept), log, "Metric stream failed, restarting");
  }

  private void accept(ReceivedRecord record) {
    try {
      MetricEvent event = Json.fromBytes(record.value(), MetricEvent.class);
      if (event.stage() == null) {
        throw new WireFormatException("metric event has no stage");
      }
      hub.accept(event);
      meters.consumed(record.topic(), "streamed");
    } catch (WireFormatException e) {
      log.warn("Skipping bad metric record {}: {}", record, e.getMessage());
      meters.consumed(record.topic(), "invalid");
    }
    record.acknowledge();
  }

  @Override
  public void close() {
    if (subscription != null) {
      subscription.dispose();
    }
  }
}
