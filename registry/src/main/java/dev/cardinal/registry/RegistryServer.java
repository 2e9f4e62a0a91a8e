package dev.cardinal.registry;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.kafka.DeadLetters;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.kafka.ReceiverOptions;
import dev.cardinal.core.kafka.TopicAdmin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.net.BindException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry stage: materializes the checkpoint, evaluation, sweep and annotation topics into a
 * SQL store, keeps recent metrics in memory, and serves the REST API, the live metric stream,
 * Prometheus meters and the web UI over HTTP.
 *
 * <pre>{@code
 * try (RegistryServer server = new RegistryServer(RegistryConfig.of(kafka, "registry.db"))) {
 *   server.start(); // listening on server.port()
 * }
 * }</pre>
 */
public final class RegistryServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RegistryServer.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  /** The topics the SQL store is materialized from (and replayed from by a rebuild). */
  static final List<String> STORED_TOPICS =
      List.of(Topics.CHECKPOINTS, Topics.EVALUATIONS, Topics.SWEEPS);

  private final RegistryConfig config;
  private final PrometheusMeterRegistry meterRegistry;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private CheckpointDb db;
  private MetricHub hub;
  private Vertx vertx;
  private HttpServer http;
  private volatile int port = -1;

  public RegistryServer(RegistryConfig config) {
    this.config = config;
    this.meterRegistry =
        config.meters() != null
            ? config.meters()
            : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  /**
   * Opens the store, starts consuming and listens for HTTP; returns once the port is open.
   *
   * @throws IllegalStateException when the port is taken, Kafka cannot be reached or the database
   *     cannot be opened, saying what to do
   */
  public synchronized void start() {
    if (vertx != null) {
      throw new IllegalStateException("registry server is already started");
    }
    try {
      db = CheckpointDb.open(config.database(), config.rebuild());
      resources.add(db);
      hub = new MetricHub(config.pointsPerSeries());
      RegistryMeters meters = new RegistryMeters(meterRegistry, db, hub);
      resources.add(meters);

      vertx = Vertx.vertx();
      LiveStream stream = new LiveStream(vertx, hub);
      resources.add(stream);
      PipelineHealth health =
          new PipelineHealth(config.kafka(), config.groupId(), hub, meterRegistry);
      resources.add(health);
      AnnotationSync annotations = new AnnotationSync(config.kafka(), db);
      resources.add(annotations);
      RegistryRoutes routes =
          new RegistryRoutes(
              vertx,
              db,
              stream,
              health,
              meterRegistry,
              config.checkpointStore(),
              annotations,
              config.adminToken());
      http = vertx.createHttpServer(httpOptions(config));
      http.requestHandler(routes.router());
      listen();

      KafkaSettings kafka = config.kafka();
      TopicAdmin.ensureTopics(kafka);
      KafkaSender sender = new KafkaSender(kafka);
      resources.add(sender);
      StoreIngest store =
          new StoreIngest(kafka, storeOptions(), db, new DeadLetters(sender, "registry"), meters);
      resources.add(store);
      store.start();
      annotations.start(sender);
      MetricIngest metrics = new MetricIngest(kafka, metricOptions(), hub, meters);
      resources.add(metrics);
      metrics.start();
      health.start();
      log.info("Registry listening on http://{}:{}/ ({})", config.host(), port, config);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Plain HTTP/1.1 on the configured address. Cleartext HTTP/2 (h2c) is off: Java's HttpClient asks
   * every new connection to upgrade to it, and Vert.x 5.0 then sometimes never finishes the body of
   * that first answer (one fresh connection in twenty fetching the 32 KB OpenAPI document stalled
   * for good), which hung the CLI and the tests. Browsers only speak HTTP/2 over TLS, so turning
   * h2c off costs them nothing.
   */
  static HttpServerOptions httpOptions(RegistryConfig config) {
    return new HttpServerOptions()
        .setHost(config.host())
        .setPort(config.port())
        .setHttp2ClearTextEnabled(false);
  }

  private void listen() {
    try {
      http.listen().await(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      port = http.actualPort();
    } catch (TimeoutException e) {
      throw new IllegalStateException("HTTP server did not start within " + START_TIMEOUT, e);
    } catch (Exception e) {
      // Vert.x rethrows the bind failure itself, a checked exception the signature hides.
      if (causedBy(e, BindException.class)) {
        throw new IllegalStateException(
            "port " + config.port() + " is in use: stop the other process or pass --port", e);
      }
      throw new IllegalStateException(
          "cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
    }
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private ReceiverOptions storeOptions() {
    ReceiverOptions options =
        new ReceiverOptions(
            config.groupId(), STORED_TOPICS, Duration.ofMillis(500), 0, null, 500, null);
    if (!config.rebuild()) {
      return options;
    }
    // Rebuild: the store was emptied, so every partition is read again from its start.
    Map<TopicPartition, Long> beginning = new HashMap<>();
    for (TopicPartition tp : partitions(STORED_TOPICS)) {
      beginning.put(tp, 0L);
    }
    return options.withStartOffsets(beginning);
  }

  /**
   * Every instance reads every metric in its own short-lived group, starting at the metric history
   * window so a fresh UI has recent curves without replaying the whole topic.
   */
  private ReceiverOptions metricOptions() {
    String group = config.groupId() + "-ui-" + UUID.randomUUID();
    long since = System.currentTimeMillis() - config.metricHistory().toMillis();
    Map<TopicPartition, Long> start = new HashMap<>();
    try (Admin admin = Admin.create(config.kafka().adminProperties())) {
      Map<TopicPartition, OffsetSpec> byTime = new HashMap<>();
      for (TopicPartition tp : partitions(admin, List.of(Topics.METRICS))) {
        byTime.put(tp, OffsetSpec.forTimestamp(since));
      }
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> found =
          admin.listOffsets(byTime).all().get(30, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e :
          found.entrySet()) {
        if (e.getValue().offset() >= 0) {
          start.put(e.getKey(), e.getValue().offset());
        } else {
          latest.put(e.getKey(), OffsetSpec.latest());
        }
      }
      if (!latest.isEmpty()) {
        admin
            .listOffsets(latest)
            .all()
            .get(30, TimeUnit.SECONDS)
            .forEach((tp, info) -> start.put(tp, info.offset()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while locating recent metrics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw kafkaUnreachable(e);
    }
    resources.add(() -> deleteGroup(group));
    return new ReceiverOptions(
            group, List.of(Topics.METRICS), Duration.ofSeconds(5), 0, null, 500, null)
        .withStartOffsets(start);
  }

  private List<TopicPartition> partitions(List<String> topics) {
    try (Admin admin = Admin.create(config.kafka().adminProperties())) {
      return partitions(admin, topics);
    }
  }

  private List<TopicPartition> partitions(Admin admin, List<String> topics) {
    try {
      Map<String, TopicDescription> described =
          admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
      List<TopicPartition> out = new ArrayList<>();
      described.forEach(
          (name, d) ->
              d.partitions().forEach(p -> out.add(new TopicPartition(name, p.partition()))));
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw kafkaUnreachable(e);
    }
  }

  private IllegalStateException kafkaUnreachable(Exception e) {
    return new IllegalStateException(
        "Kafka at "
            + config.kafka().bootstrapServers()
            + " did not answer: "
            + (e.getCause() == null ? e : e.getCause())
            + " (check --kafka / CARDINAL_KAFKA and that the broker runs)",
        e);
  }

  /**
   * The per-instance metric group is useless once the instance is gone. Its consumer leaves the
   * group within a poll or two of being disposed, so a non-empty group is retried briefly.
   */
  private void deleteGroup(String group) {
    try (Admin admin = Admin.create(config.kafka().adminProperties())) {
      for (int attempt = 0; attempt < 10; attempt++) {
        try {
          admin.deleteConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS);
          return;
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof GroupNotEmptyException)) {
            log.debug("Could not delete consumer group {}: {}", group, e.getCause().toString());
            return;
          }
          Thread.sleep(200);
        }
      }
      log.debug("Consumer group {} was still in use; left behind", group);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException e) {
      log.debug("Could not delete consumer group {}: {}", group, e.toString());
    }
  }

  /** The port the server listens on (the chosen one when the config said 0); -1 before start. */
  public int port() {
    return port;
  }

  public RegistryConfig config() {
    return config;
  }

  /** The meters {@code GET /metrics} exposes; the app can register other stages' meters here. */
  public PrometheusMeterRegistry meterRegistry() {
    return meterRegistry;
  }

  /** The store, for in-process callers such as the {@code checkpoints} command. */
  public CheckpointDb store() {
    if (db == null) {
      throw new IllegalStateException("registry server is not started");
    }
    return db;
  }

  /** Stops consuming and serving; safe to call more than once. */
  @Override
  public synchronized void close() {
    if (vertx != null) {
      try {
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (TimeoutException | RuntimeException e) {
        log.warn("Vert.x did not close cleanly: {}", e.toString());
      }
      vertx = null;
      http = null;
    }
    // Close consumers before the store they write to: reverse order of creation.
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        log.warn("Closing {} failed: {}", resources.get(i), e.toString());
      }
    }
    resources.clear();
    if (config.meters() == null) {
      meterRegistry.close();
    }
    port = -1;
  }
}
