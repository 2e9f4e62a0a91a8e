package dev.cardinal.app;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.config.S3Settings;
import dev.cardinal.core.embedded.S3Credentials;
import picocli.CommandLine.Option;

/** Where Kafka and S3 are; shared by every command. Environment variables give the defaults. */
public final class ConnectionOptions {
  @Option(
      names = "--kafka",
      defaultValue = "${env:CARDINAL_KAFKA}",
      description =
          "Kafka bootstrap servers (host:port,...). Env CARDINAL_KAFKA. Unset: 'run' starts an"
              + " embedded broker.")
  String kafka;

  @Option(
      names = "--s3-endpoint",
      defaultValue = "${env:CARDINAL_S3_ENDPOINT}",
      description =
          "S3/MinIO endpoint URL. Env CARDINAL_S3_ENDPOINT. Unset: 'run' starts an embedded S3"
              + " server.")
  String s3Endpoint;

  @Option(
      names = "--s3-access-key",
      defaultValue = "${env:CARDINAL_S3_ACCESS_KEY}",
      description =
          "S3 access key. Env CARDINAL_S3_ACCESS_KEY. Needed with --s3-endpoint; unset, the"
              + " embedded S3 server uses a key pair generated once per --data-dir (file"
              + " s3-credentials there).",
      showDefaultValue = picocli.CommandLine.Help.Visibility.NEVER)
  String s3AccessKey;

  @Option(
      names = "--s3-secret-key",
      defaultValue = "${env:CARDINAL_S3_SECRET_KEY}",
      description =
          "S3 secret key. Env CARDINAL_S3_SECRET_KEY. Needed with --s3-endpoint; unset, as for"
              + " --s3-access-key.",
      showDefaultValue = picocli.CommandLine.Help.Visibility.NEVER)
  String s3SecretKey;

  @Option(
      names = "--s3-bucket",
      defaultValue = "${env:CARDINAL_S3_BUCKET:-cardinal}",
      description = "S3 bucket for checkpoints. Env CARDINAL_S3_BUCKET. Default: ${DEFAULT-VALUE}")
  String s3Bucket;

  boolean hasKafka() {
    return kafka != null && !kafka.isBlank();
  }

  boolean hasS3() {
    return s3Endpoint != null && !s3Endpoint.isBlank();
  }

  KafkaSettings kafkaSettings() {
    if (!hasKafka()) {
      throw new UserError(
          "no Kafka cluster given: pass --kafka host:port or set CARDINAL_KAFKA"
              + " (or use 'cardinal run', which starts an embedded broker)");
    }
    return KafkaSettings.of(kafka);
  }

  /** Settings for the embedded S3 server at {@code endpoint}, signing with its key pair. */
  S3Settings s3Settings(String endpoint, S3Credentials credentials) {
    return new S3Settings(
        endpoint, credentials.accessKey(), credentials.secretKey(), s3Bucket, null);
  }

  S3Settings s3Settings() {
    if (!hasS3()) {
      throw new UserError(
          "no S3 endpoint given: pass --s3-endpoint URL or set CARDINAL_S3_ENDPOINT"
              + " (or use 'cardinal run', which starts an embedded S3 server)");
    }
    if (isBlank(s3AccessKey) || isBlank(s3SecretKey)) {
      throw new UserError(
          "no S3 credentials given for "
              + s3Endpoint
              + ": pass --s3-access-key and --s3-secret-key or set CARDINAL_S3_ACCESS_KEY and"
              + " CARDINAL_S3_SECRET_KEY (there is no default key pair)");
    }
    return new S3Settings(s3Endpoint, s3AccessKey.strip(), s3SecretKey.strip(), s3Bucket, null);
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
