package dev.cardinal.registry;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.s3.CheckpointStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link RegistryServer} runs. Built once at start; copies with other values come from the
 * generated {@link RegistryConfigBuilder.With} withers, each through the validating constructor.
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
@RecordBuilder
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
    int pointsPerSeries)
    implements RegistryConfigBuilder.With {

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
    return RegistryConfigBuilder.builder()
        .host(DEFAULT_HOST)
        .port(DEFAULT_PORT)
        .kafka(kafka)
        .database(database)
        .groupId(DEFAULT_GROUP)
        .metricHistory(DEFAULT_METRIC_HISTORY)
        .pointsPerSeries(DEFAULT_POINTS_PER_SERIES)
        .build();
  }

  public RegistryConfig withAddress(String newHost, int newPort) {
    return with(c -> c.host(newHost).port(newPort));
  }

  public RegistryConfig withMetricHistory(Duration history, int points) {
    return with(c -> c.metricHistory(history).pointsPerSeries(points));
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
