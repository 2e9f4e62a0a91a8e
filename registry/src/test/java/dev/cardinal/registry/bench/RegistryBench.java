package dev.cardinal.registry.bench;

import dev.cardinal.core.Topics;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.registry.RegistryConfig;
import dev.cardinal.registry.RegistryServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Loads 10,000 checkpoints x 3 evaluations into a registry on loopback, holds 50 live-stream
 * clients open while metrics flow, and runs filtered, sorted queries from a pool of HTTP clients.
 * Prints a table per query kind and a last line {@code RESULT registry qps=.. p50_ms=.. p99_ms=..}.
 *
 * <p>Arguments: checkpoints (10000), stream clients (50), query threads (8), seconds (20).
 */
public final class RegistryBench {
  private static final int RUNS = 20;
  private static final String[] MODELS = {"resnet50", "resnet20_cifar", "resnext50_32x4d"};

  private RegistryBench() {}

  public static void main(String[] args) throws Exception {
    int checkpoints = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int streamClients = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;

    RegistryServer server =
        new RegistryServer(
            RegistryConfig.of(
                    TestServices.kafka(),
                    TestServices.tempDir("registry-bench").resolve("registry.db").toString())
                .withAddress("127.0.0.1", 0)
                .withGroupId(TestServices.unique("registry-bench")));
    server.start();
    int port = server.port();
    try {
      long t0 = System.nanoTime();
      load(server, checkpoints);
      double loadS = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "loaded %,d checkpoints and %,d evaluations into SQLite in %.1f s (%.0f rows/s)%n",
          server.store().checkpointCount(),
          server.store().evaluationCount(),
          loadS,
          4.0 * checkpoints / loadS);

      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong streamBytes = new AtomicLong();
      CountDownLatch connected = new CountDownLatch(streamClients);
      List<Thread> readers = new ArrayList<>();
      List<InputStream> streams = new ArrayList<>();
      for (int i = 0; i < streamClients; i++) {
        HttpResponse<InputStream> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/stream"))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        InputStream in = r.body();
        streams.add(in);
        Thread reader =
            new Thread(
                () -> {
                  byte[] buf = new byte[8192];
                  boolean first = true;
                  try {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                      if (first) {
                        connected.countDown();
                        first = false;
                      }
                      streamBytes.addAndGet(n);
                    }
                  } catch (Exception e) {
                    // closed at the end
                  }
                },
                "bench-stream-" + i);
        reader.setDaemon(true);
        reader.start();
        readers.add(reader);
      }
      if (!connected.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            "only " + (streamClients - connected.getCount()) + " stream clients got the history");
      }

      // Metrics keep flowing to every stream client while the queries run.
      Thread publisher =
          new Thread(
              () -> {
                try (KafkaSender sender = new KafkaSender(TestServices.kafka())) {
                  long step = 0;
                  while (running.get()) {
                    MetricEvent e =
                        MetricEvent.now(
                            "trainer",
                            "bench-live",
                            step++,
                            Map.of("loss", 2.0 / (1 + step * 0.01), "images_per_s", 400.0));
                    sender
                        .send(
                            Topics.METRICS,
                            "bench-live".getBytes(StandardCharsets.UTF_8),
                            Json.toBytes(e))
                        .block(Duration.ofSeconds(10));
                    Thread.sleep(20);
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "bench-metrics");
      publisher.setDaemon(true);
      publisher.start();

      String[][] queries = {
        {"run, top1@224 sort", "/api/checkpoints?run=run-07&resolution=224&sort=top1&limit=50"},
        {
          "top1@224>=0.8, sort top1",
          "/api/checkpoints?resolution=224&minTop1=0.8&sort=top1&limit=50"
        },
        {
          "model+steps, sort step",
          "/api/checkpoints?model=resnet50&minStep=1000&maxStep=20000&sort=step&order=asc&limit=50"
        },
        {"ema nll<=1.2, sort nll", "/api/checkpoints?weights=ema&maxNll=1.2&sort=nll&limit=20"},
        {"newest page", "/api/checkpoints?limit=50"},
        {"best of run", "/api/runs/run-03/best?metric=top1&resolution=224"},
      };
      // Warm up: JIT, SQLite page cache.
      runQueries(http, port, queries, threads, 3, null);
      long[][] latencies = new long[queries.length][];
      long[] errors = new long[queries.length];
      double elapsed = runQueries(http, port, queries, threads, seconds, latencies, errors);
      running.set(false);
      publisher.join(5000);

      int clientsAtEnd =
          server.meterRegistry().find("cardinal.registry.sse.clients").gauge() == null
              ? -1
              : (int) server.meterRegistry().find("cardinal.registry.sse.clients").gauge().value();
      System.out.printf(
          "%d query threads for %d s while %d stream clients stayed open (%d at the end, %.1f MiB"
              + " streamed)%n",
          threads, seconds, streamClients, clientsAtEnd, streamBytes.get() / 1048576.0);
      System.out.printf(
          "%-28s %8s %8s %8s %8s %7s%n", "query", "count", "qps", "p50_ms", "p99_ms", "errors");
      List<Long> all = new ArrayList<>();
      long total = 0;
      for (int i = 0; i < queries.length; i++) {
        long[] l = latencies[i];
        Arrays.sort(l);
        for (long v : l) {
          all.add(v);
        }
        total += l.length;
        System.out.printf(
            "%-28s %8d %8.1f %8.2f %8.2f %7d%n",
            queries[i][0],
            l.length,
            l.length / elapsed,
            percentile(l, 0.50),
            percentile(l, 0.99),
            errors[i]);
      }
      long[] merged = all.stream().mapToLong(Long::longValue).sorted().toArray();
      long errorCount = Arrays.stream(errors).sum();
      for (InputStream in : streams) {
        in.close();
      }
      if (errorCount > 0) {
        System.out.println("ERRORS: " + errorCount + " queries failed");
      }
      System.out.printf(
          "RESULT registry qps=%.1f p50_ms=%.2f p99_ms=%.2f stream_clients=%d checkpoints=%d%n",
          total / elapsed,
          percentile(merged, 0.50),
          percentile(merged, 0.99),
          streamClients,
          checkpoints);
      readers.forEach(Thread::interrupt);
    } finally {
      server.close();
    }
    System.exit(0);
  }

  private static double percentile(long[] sortedNanos, double p) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.min(sortedNanos.length - 1, Math.ceil(p * sortedNanos.length) - 1);
    return sortedNanos[Math.max(0, i)] / 1e6;
  }

  private static double runQueries(
      HttpClient http, int port, String[][] queries, int threads, int seconds, long[][] out)
      throws InterruptedException {
    return runQueries(http, port, queries, threads, seconds, out, new long[queries.length]);
  }

  /** Each thread cycles through the queries until the time is up; returns the seconds taken. */
  private static double runQueries(
      HttpClient http,
      int port,
      String[][] queries,
      int threads,
      int seconds,
      long[][] out,
      long[] errors)
      throws InterruptedException {
    List<List<List<Long>>> perThread = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    AtomicLong[] errorCounts = new AtomicLong[queries.length];
    for (int i = 0; i < queries.length; i++) {
      errorCounts[i] = new AtomicLong();
    }
    for (int t = 0; t < threads; t++) {
      List<List<Long>> mine = new ArrayList<>();
      for (int i = 0; i < queries.length; i++) {
        mine.add(new ArrayList<>());
      }
      perThread.add(mine);
      int offset = t;
      pool.submit(
          () -> {
            int k = offset;
            while (System.nanoTime() < end) {
              int q = k++ % queries.length;
              long t0 = System.nanoTime();
              try {
                HttpResponse<String> r =
                    http.send(
                        HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + queries[q][1]))
                            .timeout(Duration.ofSeconds(30))
                            .GET()
                            .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                  errorCounts[q].incrementAndGet();
                  continue;
                }
              } catch (Exception e) {
                errorCounts[q].incrementAndGet();
                continue;
              }
              mine.get(q).add(System.nanoTime() - t0);
            }
            return null;
          });
    }
    pool.shutdown();
    pool.awaitTermination(seconds + 60L, TimeUnit.SECONDS);
    double elapsed = (System.nanoTime() - start) / 1e9;
    if (out != null) {
      for (int i = 0; i < queries.length; i++) {
        List<Long> merged = new ArrayList<>();
        for (List<List<Long>> mine : perThread) {
          merged.addAll(mine.get(i));
        }
        out[i] = merged.stream().mapToLong(Long::longValue).toArray();
        errors[i] = errorCounts[i].get();
      }
    }
    return elapsed;
  }

  /** 20 runs; per checkpoint EMA and raw top-1 at 224 and raw at 160, rising with the step. */
  private static void load(RegistryServer server, int checkpoints) {
    long now = System.currentTimeMillis() - checkpoints * 1000L;
    List<Object> batch = new ArrayList<>();
    java.util.Random random = new java.util.Random(42);
    for (int i = 0; i < checkpoints; i++) {
      int r = i % RUNS;
      String run = String.format("run-%02d", r);
      long step = (i / RUNS + 1) * 100L;
      String model = MODELS[r % MODELS.length];
      batch.add(
          new CheckpointEvent(
              CheckpointEvent.SCHEMA_VERSION,
              CheckpointEvent.CREATED,
              run,
              step,
              (int) (step / 1000),
              step * 128,
              "cardinal",
              "runs/" + run + "/ckpt-" + step + "/",
              model,
              Json.MAPPER.createObjectNode().put("preset", model),
              null,
              Map.of("loss", 2.0 / (1 + step / 1000.0)),
              now + i * 1000L));
      double progress = 1 - Math.exp(-step / 8000.0);
      batch.add(
          evaluation(run, step, 224, "ema", 0.3 + 0.6 * progress + random.nextGaussian() * 0.01));
      batch.add(
          evaluation(run, step, 224, "raw", 0.28 + 0.6 * progress + random.nextGaussian() * 0.01));
      batch.add(
          evaluation(run, step, 160, "raw", 0.25 + 0.55 * progress + random.nextGaussian() * 0.01));
      if (batch.size() >= 2000) {
        server.store().applyAll(batch);
        batch.clear();
      }
    }
    server.store().applyAll(batch);
  }

  private static EvaluationEvent evaluation(
      String run, long step, int resolution, String weights, double top1) {
    double t = Math.max(0, Math.min(1, top1));
    return EvaluationEvent.builder(run, step, resolution, weights)
        .images(10_000)
        .top1(t)
        .top5(Math.min(1, t + 0.1))
        .nll(2.2 - 1.5 * t)
        .evaluatedAtMs(System.currentTimeMillis())
        .build();
  }
}
