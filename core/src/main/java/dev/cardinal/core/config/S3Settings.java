package dev.cardinal.core.config;

import java.util.Objects;

/**
 * Where checkpoints are stored: an S3-compatible endpoint (MinIO, S3Proxy, AWS) and a bucket.
 *
 * @param endpoint e.g. {@code http://127.0.0.1:9000}
 */
public record S3Settings(
    String endpoint, String accessKey, String secretKey, String bucket, String region) {

  public static final String DEFAULT_BUCKET = "cardinal";
  public static final String DEFAULT_REGION = "us-east-1";

  public S3Settings {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(accessKey, "accessKey");
    Objects.requireNonNull(secretKey, "secretKey");
    bucket = bucket == null || bucket.isBlank() ? DEFAULT_BUCKET : bucket;
    region = region == null || region.isBlank() ? DEFAULT_REGION : region;
  }

  @Override
  public String toString() {
    // Never print the secret.
    return "S3Settings[endpoint=" + endpoint + ", bucket=" + bucket + ", region=" + region + "]";
  }
}
