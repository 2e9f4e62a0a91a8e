package dev.cardinal.core.embedded;

import dev.cardinal.core.config.S3Settings;
import java.io.IOException;
import java.net.BindException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real S3 server (S3Proxy) inside this JVM, storing objects as files under a directory and
 * listening on 127.0.0.1 only. Buckets are folders: objects survive a restart. Close it: a running
 * proxy keeps the JVM alive.
 */
public final class EmbeddedS3 implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedS3.class);

  private final S3Proxy proxy;
  private final int port;
  private final String accessKey;
  private final String secretKey;
  private boolean closed;

  private EmbeddedS3(S3Proxy proxy, int port, String accessKey, String secretKey) {
    this.proxy = proxy;
    this.port = port;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  /**
   * Starts the server.
   *
   * @param dataDir where buckets and objects are stored (created if missing)
   * @param port the port on 127.0.0.1; 0 picks a free one
   * @param accessKey clients must sign requests (AWS V2 or V4) with this key ...
   * @param secretKey ... and this secret
   * @throws IllegalStateException when the port is taken or the directory cannot be used
   */
  public static EmbeddedS3 start(Path dataDir, int port, String accessKey, String secretKey) {
    Path dir = dataDir.toAbsolutePath();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot create the S3 data directory " + dir + ": " + e + " (choose another --data-dir)",
          e);
    }
    if (port != 0) {
      Ports.requireFree(port, "S3 server", "--s3-port");
    }
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", dir.toString());
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(BlobStores.create("filesystem", props))
            // Port 0 lets Jetty bind a free port itself, without a race.
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
            .metricsEnabled(false)
            .stopTimeout(500)
            .build();
    try {
      proxy.start();
    } catch (Exception e) {
      stopQuietly(proxy);
      if (e instanceof BindException || e.getCause() instanceof BindException) {
        throw new IllegalStateException(
            "port "
                + port
                + " on 127.0.0.1 is already in use, so the embedded S3 server cannot listen on"
                + " it: choose another with --s3-port (0 picks a free one)",
            e);
      }
      throw new IllegalStateException("the embedded S3 server in " + dir + " failed to start", e);
    }
    int bound = proxy.getPort();
    log.debug("Embedded S3 on 127.0.0.1:{} serving {}", bound, dir);
    return new EmbeddedS3(proxy, bound, accessKey, secretKey);
  }

  private static void stopQuietly(S3Proxy proxy) {
    try {
      proxy.stop();
    } catch (Exception ignored) {
      // Start already failed; that error is the one to report.
    }
  }

  /** {@code http://127.0.0.1:PORT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Settings for a client of this server and the given bucket (which may not exist yet). */
  public S3Settings settings(String bucket) {
    return new S3Settings(endpoint(), accessKey, secretKey, bucket, S3Settings.DEFAULT_REGION);
  }

  /** Stops the server; objects stay in the data directory. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      proxy.stop();
    } catch (Exception e) {
      log.warn("Stopping the embedded S3 server on {} failed: {}", endpoint(), e.toString());
    }
  }
}
