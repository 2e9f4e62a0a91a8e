package dev.cardinal.core.s3;

import dev.cardinal.core.config.S3Settings;
import dev.cardinal.core.event.CheckpointManifest;
import dev.cardinal.core.event.Json;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.Http;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Checkpoint objects in S3 under {@code runs/<run>/ckpt-<step>/}. Objects are streamed straight
 * from the writer to S3 (multipart, no temp files); the manifest is written last and is what makes
 * a checkpoint exist.
 */
public final class CheckpointStore implements AutoCloseable {
  public static final String MANIFEST = "manifest.json";
  private static final long PART_SIZE = 8L * 1024 * 1024;
  private static final int PIPE_BUFFER = 1024 * 1024;

  private final S3Settings settings;
  private final MinioClient client;
  private final ExecutorService writers;

  public CheckpointStore(S3Settings settings) {
    this.settings = settings;
    this.client =
        MinioClient.builder()
            .endpoint(settings.endpoint())
            .credentials(settings.accessKey(), settings.secretKey())
            .region(settings.region())
            .build();
    this.writers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "s3-object-writer");
              t.setDaemon(true);
              return t;
            });
  }

  public S3Settings settings() {
    return settings;
  }

  public static String runPrefix(String runId) {
    return "runs/" + runId + "/";
  }

  public static String checkpointPrefix(String runId, long step) {
    return runPrefix(runId) + "ckpt-" + step + "/";
  }

  /**
   * Creates the bucket if missing.
   *
   * @throws ObjectStoreException saying which endpoint could not be reached
   */
  public void ensureBucket() {
    call(
        "create bucket " + settings.bucket(),
        () -> {
          if (!client.bucketExists(BucketExistsArgs.builder().bucket(settings.bucket()).build())) {
            client.makeBucket(MakeBucketArgs.builder().bucket(settings.bucket()).build());
          }
          return null;
        });
  }

  /**
   * Streams an object to S3. The writer runs on a helper thread while this thread uploads what it
   * writes; if the writer fails, the upload fails too, so a truncated object is never stored.
   */
  public void put(String key, StreamWriter writer) {
    try {
      upload(key, writer);
    } catch (ObjectStoreException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof WriterFailedException) {
          // The caller's writer failed, not S3: say so instead of pointing at the endpoint.
          throw new ObjectStoreException(
              "writing "
                  + describe(key)
                  + " failed in the writer, nothing was stored: "
                  + t.getCause(),
              t.getCause(),
              false);
        }
      }
      throw e;
    }
  }

  private void upload(String key, StreamWriter writer) {
    call(
        "write " + key,
        () -> {
          PipedInputStream pipeIn = new PipedInputStream(PIPE_BUFFER);
          PipedOutputStream pipeOut = new PipedOutputStream(pipeIn);
          Future<?> writing =
              writers.submit(
                  () -> {
                    try (pipeOut) {
                      writer.writeTo(pipeOut);
                    }
                    return null;
                  });
          try (InputStream in = new FailingAtEndInputStream(pipeIn, writing)) {
            client.putObject(
                PutObjectArgs.builder().bucket(settings.bucket()).object(key).stream(
                        in, -1L, PART_SIZE)
                    .build());
          } finally {
            writing.cancel(true);
          }
          return null;
        });
  }

  public void putBytes(String key, byte[] bytes) {
    call(
        "write " + key,
        () ->
            client.putObject(
                PutObjectArgs.builder().bucket(settings.bucket()).object(key).stream(
                        new ByteArrayInputStream(bytes), (long) bytes.length, -1L)
                    .build()));
  }

  /** Opens an object for streaming reads; close the stream. */
  public InputStream get(String key) {
    return call(
        "read " + key,
        () ->
            client.getObject(
                GetObjectArgs.builder().bucket(settings.bucket()).object(key).build()));
  }

  public byte[] getBytes(String key) {
    try (InputStream in = get(key)) {
      return in.readAllBytes();
    } catch (IOException e) {
      // The body stopped coming: a dropped connection, worth a retry.
      throw new ObjectStoreException("reading " + describe(key) + " failed: " + e, e, false, true);
    }
  }

  public boolean exists(String key) {
    try {
      call(
          "stat " + key,
          () ->
              client.statObject(
                  StatObjectArgs.builder().bucket(settings.bucket()).object(key).build()));
      return true;
    } catch (ObjectStoreException e) {
      if (e.isNotFound()) {
        return false;
      }
      throw e;
    }
  }

  /** Keys under a prefix, recursively, in lexical order. */
  public List<String> list(String prefix) {
    return call(
        "list " + prefix,
        () -> {
          List<String> keys = new ArrayList<>();
          for (Result<Item> result :
              client.listObjects(
                  ListObjectsArgs.builder()
                      .bucket(settings.bucket())
                      .prefix(prefix)
                      .recursive(true)
                      .build())) {
            keys.add(result.get().objectName());
          }
          return keys;
        });
  }

  public void delete(String key) {
    call(
        "delete " + key,
        () -> {
          client.removeObject(
              RemoveObjectArgs.builder().bucket(settings.bucket()).object(key).build());
          return null;
        });
  }

  /** Deletes every object under a prefix, the manifest first so a half-deleted one never exists. */
  public void deletePrefix(String prefix) {
    List<String> keys = list(prefix);
    keys.stream().filter(k -> k.endsWith("/" + MANIFEST)).forEach(this::delete);
    keys.stream().filter(k -> !k.endsWith("/" + MANIFEST)).forEach(this::delete);
  }

  /** Writes a checkpoint's manifest: the last write, after which the checkpoint exists. */
  public void putManifest(CheckpointManifest manifest) {
    putBytes(
        checkpointPrefix(manifest.runId(), manifest.step()) + MANIFEST, Json.toBytes(manifest));
  }

  public CheckpointManifest getManifest(String runId, long step) {
    return Json.fromBytes(
        getBytes(checkpointPrefix(runId, step) + MANIFEST), CheckpointManifest.class);
  }

  /** Steps of the run's complete checkpoints (those with a manifest), ascending. */
  public List<Long> completeCheckpoints(String runId) {
    Set<Long> steps = new TreeSet<>();
    for (String key : list(runPrefix(runId))) {
      Long step = stepOf(runId, key);
      if (step != null && key.endsWith("/" + MANIFEST)) {
        steps.add(step);
      }
    }
    return new ArrayList<>(steps);
  }

  /**
   * Steps that have objects but no manifest: uploads cut short by a crash. They are never announced
   * and can be deleted.
   */
  public List<Long> incompleteCheckpoints(String runId) {
    Set<Long> withObjects = new TreeSet<>();
    Set<Long> complete = new TreeSet<>(completeCheckpoints(runId));
    for (String key : list(runPrefix(runId))) {
      Long step = stepOf(runId, key);
      if (step != null && !complete.contains(step)) {
        withObjects.add(step);
      }
    }
    return new ArrayList<>(withObjects);
  }

  private static Long stepOf(String runId, String key) {
    String rest = key.substring(runPrefix(runId).length());
    if (!rest.startsWith("ckpt-") || rest.indexOf('/') < 0) {
      return null;
    }
    try {
      return Long.parseLong(rest.substring(5, rest.indexOf('/')));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** A URL anyone can GET the object from until it expires. */
  public String presignedGet(String key, Duration expiry) {
    return call(
        "presign " + key,
        () ->
            client.getPresignedObjectUrl(
                GetPresignedObjectUrlArgs.builder()
                    .method(Http.Method.GET)
                    .bucket(settings.bucket())
                    .object(key)
                    .expiry((int) expiry.toSeconds(), TimeUnit.SECONDS)
                    .build()));
  }

  private String describe(String key) {
    return "s3://" + settings.bucket() + "/" + key + " at " + settings.endpoint();
  }

  private interface S3Call<T> {
    T run() throws Exception;
  }

  private <T> T call(String what, S3Call<T> body) {
    try {
      return body.run();
    } catch (ErrorResponseException e) {
      String code = e.errorResponse() == null ? "" : e.errorResponse().code();
      boolean notFound = "NoSuchKey".equals(code) || "NoSuchBucket".equals(code);
      throw new ObjectStoreException(
          "S3 refused to " + what + " (" + code + ") at " + settings.endpoint(), e, notFound);
    } catch (ObjectStoreException e) {
      throw e;
    } catch (Exception e) {
      throw new ObjectStoreException(
          "S3 at "
              + settings.endpoint()
              + " failed to "
              + what
              + ": "
              + rootMessage(e)
              + " (check --s3-endpoint / CARDINAL_S3_ENDPOINT and the credentials)",
          e,
          false,
          noAnswer(e));
    }
  }

  /**
   * The SDK answers an S3 error response with {@link ErrorResponseException}; a failure with an I/O
   * error beneath it (connection refused or reset, timeout) means no answer came.
   */
  private static boolean noAnswer(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.io.IOException && !(t instanceof WriterFailedException)) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  @Override
  public void close() {
    writers.shutdownNow();
    try {
      client.close();
    } catch (Exception e) {
      // Nothing useful to do with a failure to release HTTP connections at shutdown.
    }
  }

  /** The {@link StreamWriter} threw; the upload is abandoned. */
  private static final class WriterFailedException extends IOException {
    WriterFailedException(Throwable cause) {
      super("object writer failed: " + cause, cause);
    }
  }

  /** Ends the stream with the writer's error instead of a clean EOF when the writer failed. */
  private static final class FailingAtEndInputStream extends InputStream {
    private final InputStream in;
    private final Future<?> writer;

    FailingAtEndInputStream(InputStream in, Future<?> writer) {
      this.in = in;
      this.writer = writer;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b < 0) {
        checkWriter();
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = in.read(buffer, offset, length);
      if (n < 0) {
        checkWriter();
      }
      return n;
    }

    private void checkWriter() throws IOException {
      try {
        writer.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the object writer", e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new WriterFailedException(e.getCause());
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
