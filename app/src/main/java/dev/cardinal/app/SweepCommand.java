package dev.cardinal.app;

import dev.cardinal.core.embedded.S3Credentials;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepPoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cardinal sweep}: a scaling study on one stream, one run per grid point, as events on
 * {@code cardinal.sweeps} that any process can resume, extend or stop.
 */
@Command(
    name = "sweep",
    description = {
      "A scaling study: one run per point of a grid over preset, width, depth, train resolution"
          + " and regularization, every point trained for the same budget of samples on the same"
          + " stream (its own run id and consumer group).",
      "",
      "Costs: each point training at once holds its network, optimizer state, weight average,"
          + " activations of one batch and a Kafka consumer (estimates: a few tens of MB for a"
          + " quarter-width ResNet-20 at 28 px, GBs for a ResNet-50 at 224 px). Side-by-side points share the cores and take"
          + " turns at the engine, so the budget is in samples, not minutes, and images/s is"
          + " measured over each point's own steps. --parallel N trains at most N at a time."
    },
    subcommands = {
      SweepCommand.Start.class,
      SweepCommand.Extend.class,
      SweepCommand.Resume.class,
      SweepCommand.Stop.class,
      SweepCommand.ListSweeps.class,
      SweepReport.class
    })
public final class SweepCommand extends CommandGroup {

  /**
   * Where Kafka and S3 are: the flags and environment, else those of a local {@code ./cardinal run}
   * (Kafka on localhost:9092, S3 on port 9000 with the keys in its data directory).
   */
  static final class Connection {
    @Mixin ConnectionOptions options;

    @Mixin DataDirOption data;

    static final String LOCAL_KAFKA = "localhost:9092";
    static final String LOCAL_S3 = "http://127.0.0.1:9000";

    Services kafkaOnly() {
      return Services.connectKafka(withLocalKafka());
    }

    Services kafkaAndS3() {
      ConnectionOptions connection = withLocalKafka();
      if (!connection.hasS3()) {
        Path dataDir = data.dataDir;
        Path keys = dataDir.resolve(S3Credentials.FILE_NAME);
        if (!Files.exists(keys)) {
          throw new UserError(
              "no S3 given and no local 'cardinal run' keys at "
                  + keys
                  + ": start './cardinal run' here (or pass --data-dir of one), or give"
                  + " --s3-endpoint with --s3-access-key and --s3-secret-key");
        }
        S3Credentials credentials = S3Credentials.resolve(null, null, dataDir);
        connection.s3Endpoint = LOCAL_S3;
        connection.s3AccessKey = credentials.accessKey();
        connection.s3SecretKey = credentials.secretKey();
      }
      return Services.connectExternal(connection);
    }

    private ConnectionOptions withLocalKafka() {
      if (!options.hasKafka()) {
        options.kafka = LOCAL_KAFKA;
      }
      return options;
    }
  }

  /** The grid as flags; each overrides the same key of a grid file. */
  static final class GridFlags {
    @Option(
        names = "--presets",
        split = ",",
        description = "Model presets, e.g. resnet20,resnext_s_4x9d ('cardinal models').")
    List<String> presets;

    @Option(
        names = "--widths",
        split = ",",
        description = "Width multipliers in [0.25, 2] (1 = the preset's). Default: 1")
    List<String> widths;

    @Option(
        names = "--depths",
        split = ",",
        description = "Total depths (CIFAR: 6n+2; ImageNet: 18, 50, 101, ...); 'preset' = own.")
    List<String> depths;

    @Option(
        names = "--resolutions",
        split = ",",
        description = "Train resolutions in px (batches are resized). Default: the stream's")
    List<String> resolutions;

    @Option(
        names = "--regularization",
        split = ",",
        description =
            "Strength multipliers of weight decay, label smoothing, dropout, drop-path. Default: 1")
    List<String> regularization;

    @Option(
        names = "--budget",
        description = "Samples each point trains on, or 'N epochs' of the dataset.")
    String budget;

    @Option(names = "--recipe", description = "Training recipe. Default: fashion-mnist")
    String recipe;

    @Option(names = "--schedule", description = "Schedule preset or file of the stream.")
    String schedule;

    @Option(
        names = "--checkpoint-every",
        description = "Steps between a point's checkpoints (each is scored). Default: 500")
    Integer checkpointEvery;

    Map<String, Object> values() {
      Map<String, Object> values = new LinkedHashMap<>();
      putIfGiven(values, SweepGrid.PRESETS, presets);
      putIfGiven(values, SweepGrid.WIDTHS, widths);
      putIfGiven(values, SweepGrid.DEPTHS, depths);
      putIfGiven(values, SweepGrid.RESOLUTIONS, resolutions);
      putIfGiven(values, SweepGrid.REGULARIZATION, regularization);
      putIfGiven(values, SweepGrid.BUDGET, budget);
      putIfGiven(values, SweepGrid.RECIPE, recipe);
      putIfGiven(values, SweepGrid.SCHEDULE, schedule);
      putIfGiven(values, SweepGrid.CHECKPOINT_EVERY, checkpointEvery);
      return values;
    }

    private static void putIfGiven(Map<String, Object> values, String key, Object value) {
      if (value != null) {
        values.put(key, value);
      }
    }
  }

  /** How many points train at once. */
  static final class ParallelOption {
    @Option(
        names = "--parallel",
        defaultValue = "0",
        description =
            "Sweep points trained at once; 0 = all side by side. Each holds its network,"
                + " optimizer state and a batch's activations in memory; side-by-side points share"
                + " the cores, so the budget is in samples. Default: ${DEFAULT-VALUE}")
    int parallel;

    int require() {
      if (parallel < 0) {
        throw new UserError("--parallel must be >= 0 (0 = every point at once), got " + parallel);
      }
      return parallel;
    }
  }

  /** Trains a sweep's unfinished points in this process until they are done or it is stopped. */
  static int trainHere(
      Services services, SweepLog sweepLog, SweepFold fold, long followFrom, int parallel)
      throws InterruptedException {
    SweepRunner runner =
        new SweepRunner(services.kafka(), services.store(), sweepLog, fold, parallel);
    CountDownLatch closed = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              runner.close();
              closed.countDown();
            },
            "sweep-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    runner.start(followFrom);
    runner.awaitFinished();
    boolean stopped = runner.stopped();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
      runner.close();
    } catch (IllegalStateException shuttingDown) {
      // Ctrl-C: the hook stops the points; wait for their final checkpoints.
      closed.await(3, TimeUnit.MINUTES);
    }
    System.out.println(
        "Sweep "
            + fold.sweepId()
            + (stopped ? " stopped: 'cardinal sweep resume " : " done: 'cardinal sweep report ")
            + fold.sweepId()
            + "'");
    return 0;
  }

  @Command(
      name = "start",
      description =
          "Define a sweep from a grid (YAML/JSON file and/or flags) on the running stream, publish"
              + " its points with their MACs and parameters, and train them in this process.")
  static final class Start implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "GRID", description = "Grid file.")
    Path gridFile;

    @Option(
        names = "--name",
        description = "Sweep id (1-48 of A-Z a-z 0-9 . _ -). Default: sweep-<UTC date-time>")
    String name;

    @ArgGroup(exclusive = false, heading = "Grid:%n")
    GridFlags grid = new GridFlags();

    @Mixin ParallelOption parallel;
    @Mixin Connection connection;

    @Override
    public Integer call() throws Exception {
      SweepGrid parsed = SweepGrid.load(gridFile, grid.values(), Map.of());
      String sweepId = SweepPlan.requireSweepId(name == null ? defaultName() : name);
      int points = parallel.require();
      try (Services services = connection.kafkaAndS3();
          SweepLog sweepLog = new SweepLog(services.kafka())) {
        if (sweepLog.read().sweeps().containsKey(sweepId)) {
          throw new UserError(
              "sweep "
                  + sweepId
                  + " exists: 'cardinal sweep extend "
                  + sweepId
                  + " GRID' adds points, 'cardinal sweep resume "
                  + sweepId
                  + "' trains it on");
        }
        SweepPlan plan = SweepPlan.of(parsed, sweepId, SweepStreams.probe(services.kafka()));
        SweepFold fold = define(sweepLog, plan);
        return trainHere(services, sweepLog, fold, sweepLog.read().nextOffset(), points);
      }
    }
  }

  /** A sweep id for a sweep the user did not name. */
  static String defaultName() {
    return "sweep-"
        + LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
  }

  /** Publishes a new sweep's points and prints them; returns the sweep as folded. */
  static SweepFold define(SweepLog sweepLog, SweepPlan plan) {
    SweepEvent defined =
        SweepEvent.defined(
            plan.sweepId(),
            plan.points(),
            plan.budgetSamples(),
            plan.dataset(),
            plan.training().toJson());
    sweepLog.publish(defined);
    SweepFold fold = new SweepFold(plan.sweepId());
    fold.apply(defined);
    System.out.print(pointsTable(plan.points()));
    System.out.println(
        "Sweep "
            + plan.sweepId()
            + ": "
            + plan.points().size()
            + " points, "
            + plan.budgetSamples()
            + " samples each, on "
            + plan.dataset());
    return fold;
  }

  static String pointsTable(List<SweepPoint> points) {
    TextTable table = new TextTable("POINT", "RUN", "FAMILY", "MMACS", "PARAMS");
    for (SweepPoint p : points) {
      table.add(
          p.pointId(),
          p.runId(),
          p.family(),
          String.format(java.util.Locale.ROOT, "%.1f", p.macs() / 1e6),
          String.format(java.util.Locale.ROOT, "%,d", p.parameters()));
    }
    return table.toString();
  }

  @Command(
      name = "extend",
      description =
          "Add a grid's new points to a sweep (points it has are not added again). A process"
              + " running the sweep trains them at once; else 'cardinal sweep resume ID' does.")
  static final class Extend implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "Sweep id.")
    String sweepId;

    @Parameters(index = "1", arity = "0..1", paramLabel = "GRID", description = "Grid file.")
    Path gridFile;

    @ArgGroup(exclusive = false, heading = "Grid:%n")
    GridFlags grid = new GridFlags();

    @Mixin Connection connection;

    @Override
    public Integer call() {
      try (Services services = connection.kafkaOnly();
          SweepLog sweepLog = new SweepLog(services.kafka())) {
        SweepFold fold = sweepLog.read().sweep(sweepId);
        List<SweepPoint> added = extend(sweepLog, fold, gridFile, grid.values(), services);
        if (added.isEmpty()) {
          return 0;
        }
        System.out.println(
            "A process running sweep "
                + sweepId
                + " ('cardinal sweep start/resume', 'cardinal run --sweep') trains them now;"
                + " if none runs, 'cardinal sweep resume "
                + sweepId
                + "' does.");
        return 0;
      }
    }
  }

  /**
   * Publishes the points of a grid that {@code fold} does not have yet, with the sweep's budget and
   * training; returns them.
   */
  static List<SweepPoint> extend(
      SweepLog sweepLog,
      SweepFold fold,
      Path gridFile,
      Map<String, Object> flags,
      Services services) {
    SweepGrid parsed =
        SweepGrid.load(gridFile, flags, Map.of(SweepGrid.BUDGET, fold.budgetSamples()));
    return addPoints(
        sweepLog, fold, SweepPlan.of(parsed, fold.sweepId(), SweepStreams.probe(services.kafka())));
  }

  /**
   * Publishes the points of {@code plan} that {@code fold} does not have yet (a point the sweep has
   * is never added twice), with the sweep's budget and training, and folds them in.
   *
   * @return the points added
   * @throws UserError when the plan's budget is not the sweep's
   */
  static List<SweepPoint> addPoints(SweepLog sweepLog, SweepFold fold, SweepPlan plan) {
    if (plan.budgetSamples() != fold.budgetSamples()) {
      throw new UserError(
          "sweep "
              + fold.sweepId()
              + " trains every point on "
              + fold.budgetSamples()
              + " samples, but the grid's budget is "
              + plan.budgetSamples()
              + ": leave 'budget' out or make it "
              + fold.budgetSamples());
    }
    List<SweepPoint> added =
        plan.points().stream().filter(point -> !fold.has(point.pointId())).toList();
    if (added.isEmpty()) {
      System.out.println(
          "Nothing to add: sweep "
              + fold.sweepId()
              + " has all "
              + plan.points().size()
              + " points of this grid already");
      return added;
    }
    SweepEvent event =
        SweepEvent.defined(
            fold.sweepId(), added, fold.budgetSamples(), fold.dataset(), fold.training());
    sweepLog.publish(event);
    fold.apply(event);
    System.out.print(pointsTable(added));
    System.out.println(
        "Sweep " + fold.sweepId() + " extended by " + added.size() + " points (its recipe kept)");
    return added;
  }

  @Command(
      name = "resume",
      description =
          "Train a sweep's unfinished points in this process, each from its newest checkpoint."
              + " Run it once per sweep: two processes training one point would share its"
              + " consumer group.")
  static final class Resume implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "Sweep id.")
    String sweepId;

    @Mixin ParallelOption parallel;
    @Mixin Connection connection;

    @Override
    public Integer call() throws Exception {
      int points = parallel.require();
      try (Services services = connection.kafkaAndS3();
          SweepLog sweepLog = new SweepLog(services.kafka())) {
        SweepLog.Snapshot snapshot = sweepLog.read();
        SweepFold fold = snapshot.sweep(sweepId);
        if (fold.unfinished().isEmpty()) {
          System.out.println(
              "Sweep " + sweepId + " is done: 'cardinal sweep report " + sweepId + "'");
          return 0;
        }
        return trainHere(services, sweepLog, fold, snapshot.nextOffset(), points);
      }
    }
  }

  @Command(
      name = "stop",
      description =
          "Ask the process running a sweep to stop every point with a final checkpoint; waits for"
              + " it to say it stopped.")
  static final class Stop implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "Sweep id.")
    String sweepId;

    @Option(
        names = "--wait",
        defaultValue = "180",
        description = "Seconds to wait for the runner's 'stopped'. Default: ${DEFAULT-VALUE}")
    int waitSeconds;

    @Mixin Connection connection;

    @Override
    public Integer call() throws Exception {
      try (Services services = connection.kafkaOnly();
          SweepLog sweepLog = new SweepLog(services.kafka())) {
        SweepLog.Snapshot snapshot = sweepLog.read();
        snapshot.sweep(sweepId);
        CountDownLatch stopped = new CountDownLatch(1);
        try (AutoCloseable following =
            sweepLog.follow(
                snapshot.nextOffset(),
                event -> {
                  if (sweepId.equals(event.sweepId()) && SweepEvent.STOPPED.equals(event.kind())) {
                    stopped.countDown();
                  }
                })) {
          sweepLog.publish(
              SweepEvent.lifecycle(sweepId, SweepEvent.STOP_REQUESTED, "cardinal sweep stop"));
          System.out.println("Stop requested for sweep " + sweepId);
          if (stopped.await(Duration.ofSeconds(waitSeconds).toMillis(), TimeUnit.MILLISECONDS)) {
            System.out.println(
                "Sweep " + sweepId + " stopped: 'cardinal sweep resume " + sweepId + "' goes on");
            return 0;
          }
        }
        System.out.println(
            "No process running sweep "
                + sweepId
                + " answered within "
                + waitSeconds
                + " s: if one runs, it stops when it sees the request; its points resume from"
                + " their newest checkpoints");
        return 1;
      }
    }
  }

  @Command(name = "list", description = "List the sweeps on cardinal.sweeps.")
  static final class ListSweeps implements Callable<Integer> {
    @Mixin Connection connection;

    @Override
    public Integer call() {
      try (Services services = connection.kafkaOnly();
          SweepLog sweepLog = new SweepLog(services.kafka())) {
        TextTable table = new TextTable("SWEEP", "DATASET", "POINTS", "DONE", "BUDGET", "STATE");
        for (SweepFold sweep : sweepLog.read().sweeps().values()) {
          table.add(
              sweep.sweepId(),
              sweep.dataset(),
              Integer.toString(sweep.points().size()),
              Integer.toString(sweep.points().size() - sweep.unfinished().size()),
              Long.toString(sweep.budgetSamples()),
              sweep.state());
        }
        System.out.print(table);
        return 0;
      }
    }
  }
}
