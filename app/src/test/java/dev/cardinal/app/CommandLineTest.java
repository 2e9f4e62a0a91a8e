package dev.cardinal.app;

import static dev.cardinal.app.Cli.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.app.Cli.Result;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line's contract: help lists defaults, user errors are one line and non-zero. */
class CommandLineTest {

  @Test
  void everyCommandHasHelpWithDefaults() {
    for (String command :
        new String[] {"run", "ingest", "augment", "train", "evaluate", "registry", "models"}) {
      Result result = run(command, "--help");
      assertThat(result.exitCode()).as(command).isZero();
      assertThat(result.out()).as(command).contains("Default:");
    }
    Result run = run("run", "--help");
    assertThat(run.out())
        .contains("--data-dir")
        .contains("./cardinal-data")
        .contains("--port")
        .contains("8080");
  }

  @Test
  void everySubcommandAtAnyDepthHasHelpAndTheVersion() {
    for (String[] command :
        new String[][] {{"models"}, {"sweep"}, {"sweep", "start"}, {"checkpoints", "list"}}) {
      String name = String.join(" ", command);
      Result help = run(concat(command, "--help"));
      assertThat(help.exitCode()).as(name).isZero();
      assertThat(help.out()).as(name).contains("--help").contains("--version");
      Result version = run(concat(command, "--version"));
      assertThat(version.exitCode()).as(name).isZero();
      assertThat(version.out()).as(name).startsWith("cardinal ");
    }
    Result group = run("sweep");
    assertThat(group.exitCode()).isZero();
    assertThat(group.out()).as("a command group prints its subcommands").contains("resume");
  }

  private static String[] concat(String[] command, String flag) {
    String[] args = java.util.Arrays.copyOf(command, command.length + 1);
    args[command.length] = flag;
    return args;
  }

  @Test
  void unknownFlagIsOneLineAndExitTwo() {
    Result result = run("run", "--bogus");
    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().strip().lines()).hasSize(1);
    assertThat(result.err()).contains("--bogus").contains("--help");
  }

  @Test
  void badValuesNameTheFlag() {
    Result model = run("run", "--model", "resnet9000");
    assertRefused(model, "resnet9000", "resnet50");
    Result lr = run("train", "--kafka", "127.0.0.1:1", "--lr", "-1");
    assertRefused(lr, "--lr");
    Result source = run("run", "--source", "synthetic:lots");
    assertRefused(source, "synthetic:lots");
  }

  @Test
  void severalRunsPairRunsWithModels() {
    // 'cardinal run' takes the same lists and checks them before it starts anything.
    for (String command : List.of("train", "run")) {
      assertRefused(
          run(
              command,
              "--run",
              "a",
              "--run",
              "b",
              "--model",
              "resnet20",
              "--model",
              "resnet56",
              "--model",
              "resnet110"),
          "2 --run but 3 --model");
    }
    assertRefused(run("train", "--run", "a", "--run", "a"), "different run id");
  }

  @Test
  void stageWithoutKafkaSaysHowToConfigureIt() {
    Result result = run("augment");
    assertRefused(result, "--kafka", "CARDINAL_KAFKA");
  }

  @Test
  void unreachableKafkaIsAClearError() throws Exception {
    // A socket that accepts connections and never answers: nothing else can take the port while
    // the test runs, unlike a closed port that another test's broker may grab.
    try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + silent.getLocalPort();
      Result result = run("augment", "--kafka", address);
      assertThat(result.exitCode()).isEqualTo(1);
      assertThat(result.err()).contains(address).contains("did not answer");
    }
  }

  @Test
  void unreachableS3IsAClearError() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Result result =
        evaluateWithS3(
            "http://127.0.0.1:" + closedPort,
            "--s3-access-key",
            "some-key",
            "--s3-secret-key",
            "some-secret");
    assertRefused(result, "127.0.0.1:" + closedPort, "CARDINAL_S3_ENDPOINT");
  }

  @Test
  void anExternalS3WithoutKeysIsAClearErrorNotADefaultPair() {
    Result result = evaluateWithS3("http://127.0.0.1:9");
    assertRefused(result, "no S3 credentials", "CARDINAL_S3_ACCESS_KEY", "CARDINAL_S3_SECRET_KEY");
    assertThat(run("run", "--help").out()).doesNotContain("cardinal-secret");
  }

  @Test
  @org.junit.jupiter.api.Timeout(120)
  void portInUseIsAClearError() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Result result =
          registryOn(busy.getLocalPort(), java.nio.file.Files.createTempDirectory("registry"));
      assertThat(result.exitCode()).isEqualTo(1);
      assertThat(result.err()).contains("port " + busy.getLocalPort() + " is in use");
    }
  }

  @Test
  void theWebServerBindsLoopbackUnlessToldOtherwise() {
    for (String command : new String[] {"run", "registry"}) {
      assertThat(run(command, "--help").out())
          .as(command)
          .containsPattern("(?s)--host=<host>.*?Default: 127\\.0\\.0\\.1");
    }
  }

  @Test
  void aShortAdminTokenIsRefusedSayingWhatToDo() throws Exception {
    Result result =
        run(
            "registry",
            "--kafka",
            "127.0.0.1:1",
            "--admin-token",
            "letmein",
            "--data-dir",
            java.nio.file.Files.createTempDirectory("registry").toString());
    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .contains("7 characters")
        .contains("at least 32")
        .contains("--admin-token")
        .doesNotContain("letmein");
  }

  @Test
  @org.junit.jupiter.api.Timeout(120)
  void aGeneratedAdminTokenGoesToStderrOnceAndNeverToTheLog() throws Exception {
    java.nio.file.Path dataDir = java.nio.file.Files.createTempDirectory("registry");
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
        new ch.qos.logback.core.read.ListAppender<>();
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logged.start();
    root.addAppender(logged);
    Result first;
    Result second;
    // The port is taken so the command stops right after it has dealt with the token.
    try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      first = registryOn(busy.getLocalPort(), dataDir);
      second = registryOn(busy.getLocalPort(), dataDir);
    } finally {
      root.detachAppender(logged);
    }
    String token =
        java.nio.file.Files.readString(dataDir.resolve(dev.cardinal.registry.AdminToken.FILE_NAME))
            .strip();
    assertThat(first.err()).contains(token);
    assertThat(first.out()).doesNotContain(token);
    assertThat(second.err() + second.out())
        .as("shown on first creation only")
        .doesNotContain(token);
    assertThat(logged.list).noneMatch(e -> e.getFormattedMessage().contains(token));
  }

  @Test
  void modelsTableIsComputed() {
    Result result = run("models", "--resolution", "64", "--classes", "10");
    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).contains("resnet50").contains("resnest50d").contains("resnet20");
  }

  @Test
  void sweepCommandsExplainTheirCostAndRefuseABadGridBeforeConnecting() {
    Result help = run("sweep", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out())
        .contains("start", "extend", "resume", "stop", "list", "report")
        .contains("--parallel N");
    for (String sub : new String[] {"start", "extend", "resume", "stop", "list", "report"}) {
      assertThat(run("sweep", sub, "--help").exitCode()).as(sub).isZero();
    }
    assertThat(run("run", "--help").out()).contains("--sweep").contains("--parallel");

    // No broker runs at 127.0.0.1:1: these fail on the grid, before any connection is tried.
    Result width =
        run(
            "sweep",
            "start",
            "--kafka",
            "127.0.0.1:1",
            "--presets",
            "resnet20",
            "--widths",
            "0.5,3",
            "--budget",
            "640");
    assertThat(width.exitCode()).isEqualTo(1);
    assertThat(width.err().strip().lines()).hasSize(1);
    assertThat(width.err()).contains("grid 'widths' value 3 is out of range");
    Result missing = run("run", "--sweep", "no-such-grid.yaml");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("grid file no-such-grid.yaml does not exist");
    Result both = run("run", "--sweep", "grid.yaml", "--model", "resnet50");
    assertThat(both.exitCode()).isEqualTo(1);
    assertThat(both.err()).contains("leave out --run and --model");
  }

  /** 'evaluate' on the test broker with an external S3 endpoint, then {@code more} arguments. */
  private static Result evaluateWithS3(String endpoint, String... more) {
    List<String> args = new java.util.ArrayList<>();
    args.addAll(
        List.of(
            "evaluate",
            "--kafka",
            dev.cardinal.core.testing.TestServices.kafka().bootstrapServers(),
            "--s3-endpoint",
            endpoint));
    args.addAll(List.of(more));
    return run(args.toArray(String[]::new));
  }

  /** 'registry' on the test broker, the port and the data directory. */
  private static Result registryOn(int port, java.nio.file.Path dataDir) {
    return run(
        "registry",
        "--kafka",
        dev.cardinal.core.testing.TestServices.kafka().bootstrapServers(),
        "--port",
        String.valueOf(port),
        "--data-dir",
        dataDir.toString());
  }

  /** The command failed as a user error (exit 1) whose message says each of {@code said}. */
  private static void assertRefused(Result result, String... said) {
    assertThat(result.exitCode()).as(result.err()).isEqualTo(1);
    assertThat(result.err()).contains(said);
  }
}
