package dev.cardinal.registry;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.s3.CheckpointStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link RegistryServer} runs. Built once at start; the {@code with...} methods return
 * copies.
 *
 * @param host address to listen on: loopback by default, so a registry is reachable from other
 *     machines only when the operator says so ({@code 0.0.0.0} for every interface)
 * @param port HTTP port; 0 picks a free one (see {@link RegistryServer#port()})
 * @param kafka the cluster the checkpoint, evaluation and metric topics live on
 * @param database a SQLite file path, or a full JDBC URL ({@code jdbc:...})
 * @param checkpointStore S3 store used to presign download URLs; null disables downloads
 * @param groupId consumer group of the checkpoint and evaluation consumers; instances sharing it
 *     share one store's worth of work, so give each store its own group
 * @param rebuild delete the database and replay the checkpoint, evaluation and annotation topics
 *     from the beginning (aliases and tags come back from the annotations)
 * @param adminToken bearer token that authorizes alias and tag changes, at least {@link
 *     AdminToken#MIN_LENGTH} characters; null disables them
 * @param meters where the registry's meters go and what {@code GET /metrics} scrapes; null makes
 *     one. Pass the app's registry to expose every stage's meters on one endpoint.
 * @param metricHistory how far back a new server reads the metric topic to fill its buffers
 * @param pointsPerSeries capacity of each (run, metric) ring buffer
 */
public record RegistryConfig(
    String host,
    int port,
    KafkaSettings kafka,
    String database,
    CheckpointStore checkpointStore,
    String groupId,
    boolean rebuild,
    String adminToken,
    PrometheusMeterRegistry meters,
    Duration metricHistory,
    int pointsPerSeries) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8080;
  public static final String DEFAULT_GROUP = "cardinal-registry";
  public static final Duration DEFAULT_METRIC_HISTORY = Duration.ofMinutes(30);
  public static final int DEFAULT_POINTS_PER_SERIES = 5000;

  public RegistryConfig {
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(database, "database");
    if (database.isBlank()) {
      throw new IllegalArgumentException(
          "registry database path is empty: give a file or JDBC URL");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range 0-65535");
    }
    host = host == null || host.isBlank() ? DEFAULT_HOST : host;
    groupId = groupId == null || groupId.isBlank() ? DEFAULT_GROUP : groupId;
    adminToken =
        adminToken == null || adminToken.isBlank() ? null : AdminToken.requireStrong(adminToken);
    metricHistory =
        metricHistory == null || metricHistory.isNegative()
            ? DEFAULT_METRIC_HISTORY
            : metricHistory;
    pointsPerSeries = pointsPerSeries <= 0 ? DEFAULT_POINTS_PER_SERIES : pointsPerSeries;
  }

  /** Defaults for everything but where Kafka and the database are. */
  public static RegistryConfig of(KafkaSettings kafka, String database) {
    return new RegistryConfig(
        DEFAULT_HOST,
        DEFAULT_PORT,
        kafka,
        database,
        null,
        DEFAULT_GROUP,
        false,
        null,
        null,
        DEFAULT_METRIC_HISTORY,
        DEFAULT_POINTS_PER_SERIES);
  }

  public RegistryConfig withAddress(String newHost, int newPort) {
    return new RegistryConfig(
        newHost,
        newPort,
        kafka,
        database,
        checkpointStore,
        groupId,
        rebuild,
        adminToken,
        meters,
        metricHistory,
        pointsPerSeries);
  }

  public RegistryConfig withPort(int newPort) {
    return withAddress(host, newPort);
  }

  public RegistryConfig withCheckpointStore(CheckpointStore store) {
    return new RegistryConfig(
        host,
        port,
        kafka,
        database,
        store,
        groupId,
        rebuild,
        adminToken,
        meters,
        metricHistory,
        pointsPerSeries);
  }

  public RegistryConfig withGroupId(String group) {
    return new RegistryConfig(
        host,
        port,
        kafka,
        database,
        checkpointStore,
        group,
        rebuild,
        adminToken,
        meters,
        metricHistory,
        pointsPerSeries);
  }

  public RegistryConfig withRebuild(boolean replay) {
    return new RegistryConfig(
        host,
        port,
        kafka,
        database,
        checkpointStore,
        groupId,
        replay,
        adminToken,
        meters,
        metricHistory,
        pointsPerSeries);
  }

  public RegistryConfig withAdminToken(String token) {
    return new RegistryConfig(
        host,
        port,
        kafka,
        database,
        checkpointStore,
        groupId,
        rebuild,
        token,
        meters,
        metricHistory,
        pointsPerSeries);
  }

  public RegistryConfig withMeters(PrometheusMeterRegistry registry) {
    return new RegistryConfig(
        host,
        port,
        kafka,
        database,
        checkpointStore,
        groupId,
        rebuild,
        adminToken,
        registry,
        metricHistory,
        pointsPerSeries);
  }

  public RegistryConfig withMetricHistory(Duration history, int points) {
    return new RegistryConfig(
        host,
        port,
        kafka,
        database,
        checkpointStore,
        groupId,
        rebuild,
        adminToken,
        meters,
        history,
        points);
  }

  @Override
  public String toString() {
    // Never print the token.
    return "RegistryConfig[host="
        + host
        + ", port="
        + port
        + ", kafka="
        + kafka.bootstrapServers()
        + ", database="
        + Redact.credentials(database)
        + ", downloads="
        + (checkpointStore != null)
        + ", groupId="
        + groupId
        + ", rebuild="
        + rebuild
        + ", adminToken="
        + (adminToken == null ? "none" : "***")
        + "]";
  }
}
