package dev.cardinal.app;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.config.S3Settings;
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
      defaultValue = "${env:CARDINAL_S3_ACCESS_KEY:-cardinal}",
      description = "S3 access key. Env CARDINAL_S3_ACCESS_KEY. Default: ${DEFAULT-VALUE}")
  String s3AccessKey;

  @Option(
      names = "--s3-secret-key",
      defaultValue = "${env:CARDINAL_S3_SECRET_KEY:-cardinal-secret}",
      description = "S3 secret key. Env CARDINAL_S3_SECRET_KEY. Default: cardinal-secret",
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

  S3Settings s3Settings(String endpoint) {
    return new S3Settings(endpoint, s3AccessKey, s3SecretKey, s3Bucket, null);
  }

  S3Settings s3Settings() {
    if (!hasS3()) {
      throw new UserError(
          "no S3 endpoint given: pass --s3-endpoint URL or set CARDINAL_S3_ENDPOINT"
              + " (or use 'cardinal run', which starts an embedded S3 server)");
    }
    return s3Settings(s3Endpoint);
  }
}
