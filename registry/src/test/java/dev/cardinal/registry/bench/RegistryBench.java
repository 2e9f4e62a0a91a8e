package dev.cardinal.registry.bench;

import dev.cardinal.core.Topics;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.event.Scores;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.testing.TestCheckpoints;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.registry.RegistryConfig;
import dev.cardinal.registry.RegistryServer;
import dev.cardinal.registry.TestPostgres;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
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
 * When a PostgreSQL server can be started (as the registry tests start one), a second registry on
 * it gets the same rows, clients and query mix, and the two legs are measured in interleaved rounds
 * (SQLite, PostgreSQL, SQLite, ...) so a noisy moment of the machine hits both alike. Prints each
 * round, each leg's median with its spread (min..max over the rounds), and a last line {@code
 * RESULT registry qps=.. p50_ms=.. p99_ms=..} (SQLite's medians, then PostgreSQL's as pg_*).
 *
 * <p>Everything but the PostgreSQL server runs in this JVM (registry, Kafka broker, load generator,
 * stream clients), so each round also reports this process's CPU time per query ({@code
 * cpu_ms_per_query}, all of it included): on a machine shared with other work, the figure that
 * moves least with the neighbours, and the one that bounds the queries per second the cores allow.
 *
 * <p>Arguments: checkpoints (10000), stream clients per registry (50), query threads (8), seconds
 * per round (5), rounds per leg (5).
 */
public final class RegistryBench {
  private static final int RUNS = 20;
  private static final int WARM_UP_SECONDS = 40;
  private static final String[] MODELS = {"resnet50", "resnet20_cifar", "resnext50_32x4d"};
  private static final String[][] QUERIES = {
    {"run, top1@224 sort", "/api/checkpoints?run=run-07&resolution=224&sort=top1&limit=50"},
    {"top1@224>=0.8, sort top1", "/api/checkpoints?resolution=224&minTop1=0.8&sort=top1&limit=50"},
    {
      "model+steps, sort step",
      "/api/checkpoints?model=resnet50&minStep=1000&maxStep=20000&sort=step&order=asc&limit=50"
    },
    {"ema nll<=1.2, sort nll", "/api/checkpoints?weights=ema&maxNll=1.2&sort=nll&limit=20"},
    {"newest page", "/api/checkpoints?limit=50"},
    {"best of run", "/api/runs/run-03/best?metric=top1&resolution=224"},
  };

  private RegistryBench() {}

  /** One registry under test with its stream clients, and what each round measured. */
  private static final class Leg implements AutoCloseable {
    final String name;
    final RegistryServer server;
    final List<InputStream> streams = new ArrayList<>();
    final List<double[]> rounds = new ArrayList<>(); // qps, p50_ms, p99_ms, cpu_ms_per_query
    final long[][] latencies = new long[QUERIES.length][];
    final long[] errors = new long[QUERIES.length];
    final AtomicLong streamBytes = new AtomicLong();

    Leg(String name, String database) {
      this.name = name;
      this.server =
          new RegistryServer(
              RegistryConfig.of(TestServices.kafka(), database)
                  .withAddress("127.0.0.1", 0)
                  .withGroupId(TestServices.unique("registry-bench-" + name)));
      for (int i = 0; i < QUERIES.length; i++) {
        latencies[i] = new long[0];
      }
    }

    int port() {
      return server.port();
    }

    void openStreams(HttpClient http, int clients) throws Exception {
      CountDownLatch connected = new CountDownLatch(clients);
      for (int i = 0; i < clients; i++) {
        HttpResponse<InputStream> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/api/stream"))
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
                "bench-stream-" + name + "-" + i);
        reader.setDaemon(true);
        reader.start();
      }
      if (!connected.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            name
                + ": only "
                + (clients - connected.getCount())
                + " stream clients got the history");
      }
    }

    @Override
    public void close() {
      for (InputStream in : streams) {
        try {
          in.close();
        } catch (Exception e) {
          // closing anyway
        }
      }
      server.close();
    }
  }

  public static void main(String[] args) throws Exception {
    int checkpoints = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int streamClients = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;

    List<AutoCloseable> closing = new ArrayList<>();
    List<Leg> legs = new ArrayList<>();
    AtomicBoolean running = new AtomicBoolean(true);
    try {
      legs.add(
          new Leg(
              "sqlite", TestServices.tempDir("registry-bench").resolve("registry.db").toString()));
      TestPostgres pg = startPostgres();
      if (pg != null) {
        closing.add(pg);
        legs.add(new Leg("postgresql", pg.url()));
      }
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      for (Leg leg : legs) {
        closing.add(leg);
        leg.server.start();
        long t0 = System.nanoTime();
        load(leg.server, checkpoints);
        double loadS = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            "%s: loaded %,d checkpoints and %,d evaluations in %.1f s (%.0f rows/s)%n",
            leg.name,
            leg.server.store().checkpointCount(),
            leg.server.store().evaluationCount(),
            loadS,
            4.0 * checkpoints / loadS);
        leg.openStreams(http, streamClients);
      }

      // Metrics keep flowing to every stream client while the queries run.
      Thread publisher = publisher(running);
      publisher.start();

      for (Leg leg : legs) {
        // Warm up: JIT, page caches, pools. Ten seconds left the JIT compiling through all five
        // rounds on two cores (SQLite 392 -> 517 qps, PostgreSQL 57 -> 460, CPU per query falling
        // round by round); a registry is a long-running server, and the rounds are to measure it
        // as one.
        runQueries(http, leg.port(), threads, WARM_UP_SECONDS, null, null);
      }
      for (int round = 1; round <= rounds; round++) {
        for (Leg leg : legs) {
          long[][] latencies = new long[QUERIES.length][];
          long[] errors = new long[QUERIES.length];
          long cpuBefore = processCpuNanos();
          double elapsed = runQueries(http, leg.port(), threads, seconds, latencies, errors);
          long cpu = processCpuNanos() - cpuBefore;
          long[] merged = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
          double[] r = {
            merged.length / elapsed,
            percentile(merged, 0.50),
            percentile(merged, 0.99),
            merged.length == 0 ? Double.NaN : cpu / 1e6 / merged.length
          };
          leg.rounds.add(r);
          for (int q = 0; q < QUERIES.length; q++) {
            leg.latencies[q] = concat(leg.latencies[q], latencies[q]);
            leg.errors[q] += errors[q];
          }
          System.out.printf(
              "round %d %-10s qps=%.1f p50_ms=%.2f p99_ms=%.2f cpu_ms_per_query=%.2f errors=%d%n",
              round, leg.name, r[0], r[1], r[2], r[3], Arrays.stream(errors).sum());
        }
      }
      running.set(false);
      publisher.join(5000);

      for (Leg leg : legs) {
        printQueryTable(leg, threads, seconds * rounds, streamClients);
      }
      StringBuilder result = new StringBuilder("RESULT registry");
      for (Leg leg : legs) {
        String prefix = leg.name.equals("sqlite") ? "" : "pg_";
        double[] qps = column(leg.rounds, 0);
        double[] p50 = column(leg.rounds, 1);
        double[] p99 = column(leg.rounds, 2);
        double[] cpu = column(leg.rounds, 3);
        System.out.printf(
            "%s over %d rounds: qps median %.1f (%.1f..%.1f), p50_ms median %.2f (%.2f..%.2f),"
                + " p99_ms median %.2f (%.2f..%.2f)%n",
            leg.name,
            rounds,
            median(qps),
            min(qps),
            max(qps),
            median(p50),
            min(p50),
            max(p50),
            median(p99),
            min(p99),
            max(p99));
        result.append(
            String.format(
                " %sqps=%.1f %sp50_ms=%.2f %sp99_ms=%.2f %sqps_spread=%.1f..%.1f"
                    + " %scpu_ms_per_query=%.2f %serrors=%d",
                prefix,
                median(qps),
                prefix,
                median(p50),
                prefix,
                median(p99),
                prefix,
                min(qps),
                max(qps),
                prefix,
                median(cpu),
                prefix,
                Arrays.stream(leg.errors).sum()));
      }
      if (legs.size() == 1) {
        result.append(" pg=none");
      }
      result.append(
          String.format(
              " rounds=%d round_s=%d stream_clients=%d query_threads=%d checkpoints=%d",
              rounds, seconds, streamClients, threads, checkpoints));
      System.out.println(result);
    } finally {
      running.set(false);
      for (int i = closing.size() - 1; i >= 0; i--) {
        try {
          closing.get(i).close();
        } catch (Exception e) {
          System.err.println("closing " + closing.get(i) + " failed: " + e);
        }
      }
    }
    System.exit(0);
  }

  /** A PostgreSQL server as the registry tests start one, or null (said why) when none can be. */
  private static TestPostgres startPostgres() {
    try {
      return TestPostgres.startOrSkip();
    } catch (Exception | AssertionError e) {
      // JUnit's assumption failure (a runtime exception) says what is missing.
      System.out.println("PostgreSQL leg skipped: " + e.getMessage());
      return null;
    }
  }

  private static Thread publisher(AtomicBoolean running) {
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
    return publisher;
  }

  private static void printQueryTable(Leg leg, int threads, int seconds, int streamClients) {
    var gauge = leg.server.meterRegistry().find("cardinal.registry.sse.clients").gauge();
    System.out.printf(
        "%n%s: %d query threads for %d s in all while %d stream clients stayed open (%d at the end,"
            + " %.1f MiB streamed)%n",
        leg.name,
        threads,
        seconds,
        streamClients,
        gauge == null ? -1 : (int) gauge.value(),
        leg.streamBytes.get() / 1048576.0);
    System.out.printf(
        "%-28s %8s %8s %8s %8s %7s%n", "query", "count", "qps", "p50_ms", "p99_ms", "errors");
    for (int i = 0; i < QUERIES.length; i++) {
      long[] l = leg.latencies[i].clone();
      Arrays.sort(l);
      System.out.printf(
          "%-28s %8d %8.1f %8.2f %8.2f %7d%n",
          QUERIES[i][0],
          l.length,
          l.length / (double) seconds,
          percentile(l, 0.50),
          percentile(l, 0.99),
          leg.errors[i]);
    }
  }

  /** CPU time of this process, every thread of it: registry, broker, load generator, clients. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static long[] concat(long[] a, long[] b) {
    long[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static double[] column(List<double[]> rows, int i) {
    return rows.stream().mapToDouble(r -> r[i]).toArray();
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  private static double min(double[] values) {
    return Arrays.stream(values).min().orElse(Double.NaN);
  }

  private static double max(double[] values) {
    return Arrays.stream(values).max().orElse(Double.NaN);
  }

  private static double percentile(long[] sortedNanos, double p) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.min(sortedNanos.length - 1, Math.ceil(p * sortedNanos.length) - 1);
    return sortedNanos[Math.max(0, i)] / 1e6;
  }

  /** Each thread cycles through the queries until the time is up; returns the seconds taken. */
  private static double runQueries(
      HttpClient http, int port, int threads, int seconds, long[][] out, long[] errors)
      throws InterruptedException {
    String[][] queries = QUERIES;
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
          TestCheckpoints.event(run, step, now + i * 1000L, model, CheckpointEvent.CREATED, null));
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
    return EvaluationEvent.of(
        run,
        step,
        EvaluationResult.builder(EvaluationPlan.of(resolution, weights))
            .scores(Scores.of(10_000, t, Math.min(1, t + 0.1), 2.2 - 1.5 * t))
            .evaluatedAtMs(System.currentTimeMillis())
            .build());
  }
}
