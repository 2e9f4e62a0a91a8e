package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.OVER_FITTING_REASON;
import static dev.cardinal.registry.Fixtures.checkpoint;
import static dev.cardinal.registry.Fixtures.detailedEvaluation;
import static dev.cardinal.registry.Fixtures.evaluation;
import static dev.cardinal.registry.Fixtures.failedEvaluation;
import static dev.cardinal.registry.Fixtures.registryConfig;
import static dev.cardinal.registry.Fixtures.started;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.Resources;
import dev.cardinal.core.Topics;
import dev.cardinal.core.event.CheckpointEvent;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The UI in a real browser: the loss chart follows metrics published to the broker, the leaderboard
 * ranks runs, the checkpoint table filters through the REST API, pipeline health shows consumer
 * groups, and a checkpoint's page draws its scores by resolution and its schedule, and shows the
 * regularization verdict, ECE, the train-eval gap, the best resolution and per-class accuracy.
 * Screenshots go to {@code registry/target/registry-ui.png} and {@code
 * registry/target/registry-ui-checkpoint.png}.
 */
class RegistryBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** The schedule one checkpoint carries, as the trainer stores it. */
  private static final JsonNode SCHEDULE =
      Schedule.parse(
              """
              name: progressive
              testResolution: 224
              segments:
                - {from: 0, to: 3, trainResolution: 128, randAugmentMagnitude: 5}
                - from: 3
                  to: 6
                  trainResolution: {start: 128, end: 192, step: 32}
                  dropoutRate: {steps: [0.1, 0.2]}
                - {from: 6, trainResolution: 224}
              """,
              "progressive.yaml")
          .toJson();

  private RegistryServer server;
  private KafkaSender sender;
  private WebDriver driver;

  @BeforeEach
  void start() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM),
        "no browser at " + CHROMIUM + ": apt-get install chromium chromium-driver");
    server = started(registryConfig("registry-ui"));
    sender = new KafkaSender(TestServices.kafka());

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        "--user-data-dir=" + TestServices.tempDir("registry-ui-chromium"));
    // Console messages, where Chromium reports anything the Content-Security-Policy blocked.
    options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    driver = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() {
    Resources.close(driver == null ? null : driver::quit, sender, server);
  }

  @Test
  void lossChartFollowsPublishedMetrics() throws Exception {
    String run = TestServices.unique("ui-run");
    long now = System.currentTimeMillis();
    publishLoss(run, 100, 2.3);
    sender
        .send(Topics.CHECKPOINTS, bytes(run), Json.toBytes(checkpoint(run, 100, now)))
        .block(WAIT);
    sender
        .send(Topics.EVALUATIONS, bytes(run), Json.toBytes(evaluation(run, 100, 224, "ema", 0.42)))
        .block(WAIT);

    driver.get("http://127.0.0.1:" + server.port() + "/");
    WebDriverWait wait = new WebDriverWait(driver, WAIT);
    wait.until(d -> "live".equals(attribute("stream-status", "data-state")));
    wait.until(d -> attribute("chart-loss", "data-runs").contains(run));
    assertThat(driver.findElements(By.cssSelector("#chart-loss canvas")))
        .as("uPlot draws the loss chart on a canvas")
        .isNotEmpty();
    assertThat(driver.findElement(By.cssSelector("#chart-loss .u-legend")).getText()).contains(run);
    int pointsBefore = Integer.parseInt(attribute("chart-loss", "data-points"));
    String pixelsBefore = lossCanvas();

    for (int step = 200; step <= 1000; step += 100) {
      publishLoss(run, step, 2.3 * Math.exp(-step / 400.0));
    }
    wait.until(d -> Integer.parseInt(attribute("chart-loss", "data-points")) >= pointsBefore + 9);
    wait.until(d -> !lossCanvas().equals(pixelsBefore));
    assertThat(attribute("chart-throughput", "data-runs")).contains(run);

    wait.until(d -> d.findElement(By.id("checkpoints")).getText().contains(run));
    assertThat(driver.findElement(By.id("checkpoints")).getText()).contains("42.00%");

    // More checkpoints of this run, one of them carrying a schedule, and another run.
    String other = TestServices.unique("ui-other");
    for (long step = 200; step <= 400; step += 100) {
      publish(Topics.CHECKPOINTS, run, checkpoint(run, step, now + step));
      publish(Topics.EVALUATIONS, run, evaluation(run, step, 224, "ema", 0.40 + step / 1000.0));
      publish(Topics.EVALUATIONS, run, evaluation(run, step, 160, "raw", 0.30 + step / 1000.0));
    }
    publish(
        Topics.CHECKPOINTS,
        run,
        checkpoint(run, 500, now + 500, "resnet20_cifar", CheckpointEvent.CREATED, SCHEDULE));
    // Step 500 carries what the evaluator adds: calibration, the gap, per-class accuracy, the
    // best resolution and a verdict; and one evaluation that failed.
    publish(Topics.EVALUATIONS, run, detailedEvaluation(run, 500, 160, "raw", 0.61, 224));
    publish(Topics.EVALUATIONS, run, detailedEvaluation(run, 500, 224, "raw", 0.66, 224));
    publish(Topics.EVALUATIONS, run, detailedEvaluation(run, 500, 224, "ema", 0.93, 224));
    publish(Topics.EVALUATIONS, run, failedEvaluation(run, 500, 160, "ema", "ema weights missing"));
    publish(Topics.CHECKPOINTS, other, checkpoint(other, 100, now + 1000));
    publish(Topics.EVALUATIONS, other, evaluation(other, 100, 224, "ema", 0.97));

    // The leaderboard ranks runs by their best evaluation.
    wait.until(d -> d.findElement(By.id("leaderboard")).getText().contains(other));
    List<WebElement> ranked = driver.findElements(By.cssSelector("#leaderboard tbody tr"));
    int otherRank = -1;
    int runRank = -1;
    for (int i = 0; i < ranked.size(); i++) {
      String text = ranked.get(i).getText();
      otherRank = text.contains(other) ? i : otherRank;
      runRank = text.contains(run) && !text.contains(other) ? i : runRank;
    }
    assertThat(otherRank).isLessThan(runRank);
    wait.until(d -> ranked(run).contains("over-fitting"));
    wait.until(d -> Integer.parseInt(attribute("chart-eval", "data-points")) >= 9);
    assertThat(attribute("chart-eval", "data-runs")).contains(run + " · 224 · ema");
    // Only step 500's evaluations carry a train-eval gap: three points of this run on the gap
    // chart (other tests' runs on the shared broker may have gaps of their own).
    wait.until(d -> pointsOfRun("chart-gap", run) == 3);
    assertThat(attribute("chart-gap", "data-runs")).contains(run + " · 160 · raw");

    // Filter the table: this run, top-1 at 224 px of at least 70 %, best first.
    new Select(driver.findElement(By.id("run-filter"))).selectByValue(run);
    driver.findElement(By.id("resolution-filter")).sendKeys("224");
    driver.findElement(By.id("min-top1-filter")).sendKeys("70");
    new Select(driver.findElement(By.id("sort-filter"))).selectByValue("top1");
    wait.until(d -> attribute("checkpoints", "data-query").contains("minTop1=0.7"));
    wait.until(d -> "3".equals(attribute("checkpoints", "data-rows")));
    // The table re-renders on every refresh: read its rows again until they settle, since a row
    // found before a refresh is stale after it.
    List<String> expectedRows = List.of(run + "/500", run + "/400", run + "/300");
    wait.ignoring(StaleElementReferenceException.class)
        .until(
            d ->
                d.findElements(By.cssSelector("#checkpoints tbody tr")).stream()
                    .map(r -> r.getDomAttribute("data-id"))
                    .toList()
                    .equals(expectedRows));
    // Read the row's text the same way: a refresh between finding the row and reading it left it
    // stale (seen once in a full registry run on a loaded machine).
    wait.ignoring(StaleElementReferenceException.class)
        .withMessage("the table shows the verdict as a badge")
        .until(
            d ->
                d.findElement(By.cssSelector("#checkpoints tbody tr[data-id='" + run + "/500']"))
                    .getText()
                    .contains("over-fitting"));
    // A filter the server refuses is shown, not swallowed.
    driver.findElement(By.id("min-step-filter")).sendKeys("300");
    driver.findElement(By.id("max-step-filter")).sendKeys("200");
    wait.until(d -> d.findElement(By.id("filter-error")).isDisplayed());
    assertThat(driver.findElement(By.id("filter-error")).getText()).contains("minStep");
    driver.findElement(By.id("max-step-filter")).clear();
    driver.findElement(By.id("max-step-filter")).sendKeys("450");
    wait.until(d -> "2".equals(attribute("checkpoints", "data-rows")));
    driver.findElement(By.id("max-step-filter")).clear();
    driver.findElement(By.id("min-step-filter")).clear();
    driver.findElement(By.id("min-step-filter")).sendKeys("250");
    wait.until(d -> attribute("checkpoints", "data-query").contains("minStep=250"));
    wait.until(d -> "3".equals(attribute("checkpoints", "data-rows")));

    // Pipeline health lists this registry's consumer group with its lag.
    wait.until(
        d ->
            !d.findElements(
                    By.cssSelector(
                        "#health-groups tr[data-group='" + server.config().groupId() + "']"))
                .isEmpty());
    assertThat(driver.findElement(By.id("health-stages")).getText()).contains("registry");

    // The smoothing slider redraws the loss curve.
    String unsmoothed = lossCanvas();
    ((JavascriptExecutor) driver)
        .executeScript(
            "const s = document.getElementById('smoothing'); s.value = '0.95';"
                + " s.dispatchEvent(new Event('input'));");
    wait.until(d -> !lossCanvas().equals(unsmoothed));
    ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, 0)");
    screenshot("registry-ui.png");

    // The checkpoint page: scores by resolution for raw and EMA weights, schedule, manifest.
    // The table refreshes every few seconds: a row found just before a refresh is stale when
    // clicked, so find it again until the click lands.
    wait.ignoring(StaleElementReferenceException.class)
        .until(
            d -> {
              d.findElement(By.cssSelector("#checkpoints tbody tr[data-id='" + run + "/500'] a"))
                  .click();
              return true;
            });
    wait.until(d -> d.findElement(By.id("checkpoint-page")).isDisplayed());
    wait.until(d -> Integer.parseInt(attribute("chart-by-resolution", "data-points")) >= 3);
    assertThat(attribute("chart-by-resolution", "data-runs"))
        .contains("top-1 raw")
        .contains("top-1 ema");
    wait.until(d -> Integer.parseInt(attribute("chart-schedule", "data-points")) > 0);
    // Drawn from GET /api/runs/{run}/schedule: every parameter the segments set, one series each.
    assertThat(attribute("chart-schedule", "data-runs"))
        .contains("trainResolution")
        .contains("randAugmentMagnitude")
        .contains("dropoutRate");
    assertThat(driver.findElement(By.id("manifest")).getText())
        .contains("\"segments\"")
        .contains("\"spec\"");
    assertThat(driver.findElements(By.cssSelector("#chart-by-resolution canvas"))).isNotEmpty();
    assertThat(attribute("chart-by-resolution", "data-runs")).contains("ECE ema");

    // The verdict with its reason, prominently; ECE and the gap per evaluation; the best resolution
    // marked; the failed evaluation said as such.
    WebElement verdict = driver.findElement(By.id("checkpoint-verdict"));
    assertThat(verdict.isDisplayed()).isTrue();
    assertThat(verdict.getText()).contains("over-fitting").contains(OVER_FITTING_REASON);
    String table = driver.findElement(By.id("checkpoint-evaluations")).getText();
    assertThat(table)
        .as("ECE of 224 px EMA, and of 160 px raw")
        .contains("0.0324")
        .contains("0.0260")
        .as("train-eval gap 0.90 - 0.93 of 224 px EMA")
        .contains("−3.00 pp")
        .contains("evaluation failed: ema weights missing")
        .as("with test-time flip, the top-1 of the image alone beside it")
        .contains("93.00% (92.80% one view)");
    assertThat(driver.findElement(By.id("checkpoint-evaluation-note")).getText())
        .contains("averaged with its mirror");
    WebElement best =
        driver.findElement(
            By.cssSelector("#checkpoint-evaluations tr[data-id='" + run + "/500/224/ema']"));
    assertThat(best.getDomAttribute("data-best")).isEqualTo("true");
    assertThat(best.getDomAttribute("class")).contains("best");
    assertThat(
            driver
                .findElement(
                    By.cssSelector("#checkpoint-evaluations tr[data-id='" + run + "/500/160/raw']"))
                .getDomAttribute("data-best"))
        .as("160 px is not the best resolution of the raw weights")
        .isNull();
    assertThat(driver.findElement(By.id("checkpoint-best")).getText())
        .contains("224 px")
        .contains("ema");

    // Per-class accuracy of the best weights (EMA) at their best resolution (224 px).
    assertThat(attribute("per-class", "data-weights")).isEqualTo("ema");
    assertThat(attribute("per-class", "data-resolution")).isEqualTo("224");
    List<WebElement> classes = driver.findElements(By.cssSelector("#per-class-accuracy tbody tr"));
    assertThat(classes).hasSize(4);
    assertThat(classes.get(0).getText()).contains("98.00%");
    assertThat(classes.get(2).getText()).contains("no images");
    new Select(driver.findElement(By.id("per-class-weights"))).selectByValue("raw");
    wait.until(d -> "raw".equals(attribute("per-class", "data-weights")));
    assertThat(driver.findElements(By.cssSelector("#per-class-accuracy tbody tr")).get(0).getText())
        .as("raw weights at 224 px: 0.66 + 0.05")
        .contains("71.00%");
    ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, 0)");
    screenshot("registry-ui-checkpoint.png");

    // A checkpoint that does not exist: the page says so in the server's words; the next one that
    // does exist hides the error again.
    ((JavascriptExecutor) driver).executeScript("location.hash = '#/checkpoints/" + run + "/999'");
    wait.until(d -> d.findElement(By.id("checkpoint-error")).isDisplayed());
    assertThat(driver.findElement(By.id("checkpoint-error")).getText())
        .contains("has no checkpoint at step 999");
    ((JavascriptExecutor) driver).executeScript("location.hash = '#/checkpoints/" + run + "/500'");
    wait.until(d -> !d.findElement(By.id("checkpoint-error")).isDisplayed());

    // Everything above ran under the registry's CSP; nothing the UI needs may have been blocked.
    assertThat(driver.manage().logs().get(LogType.BROWSER).getAll())
        .extracting(LogEntry::getMessage)
        .noneMatch(message -> message.contains("Content Security Policy"));
  }

  @Test
  void studyPageShowsEachPointOnBothFrontsWithItsRecommendation() throws Exception {
    String sweep = TestServices.unique("ui-study");
    for (Fixtures.Published p : Fixtures.twoPointStudy(sweep, System.currentTimeMillis())) {
      publish(p.topic(), p.key(), p.event());
    }
    driver.get("http://127.0.0.1:" + server.port() + "/");
    WebDriverWait wait = new WebDriverWait(driver, WAIT);
    driver.findElement(By.id("nav-studies")).click();
    wait.until(d -> d.findElement(By.id("study-page")).isDisplayed());
    assertThat(driver.findElement(By.id("dashboard")).isDisplayed()).isFalse();
    By sweepLink = By.cssSelector("#sweeps tbody tr[data-sweep='" + sweep + "'] a");
    wait.until(d -> !d.findElements(sweepLink).isEmpty());
    driver.findElement(sweepLink).click();
    wait.until(d -> sweep.equals(attribute("sweep", "data-sweep")));
    // Both points scored three times: both on the front of top-1 against MACs and against time.
    wait.until(d -> "w1,w2".equals(attribute("scatter-macs", "data-front")));
    assertThat(attribute("scatter-macs", "data-points")).isEqualTo("2");
    wait.until(d -> "w1,w2".equals(attribute("scatter-time", "data-front")));
    assertThat(driver.findElements(By.cssSelector("#scatter-macs svg circle.front-ring")))
        .hasSize(2);
    assertThat(driver.findElements(By.cssSelector("#scatter-macs svg .point"))).hasSize(2);

    wait.ignoring(StaleElementReferenceException.class)
        .until(d -> pointRow("w1").contains("over-fitting at the depth of resnet20_cifar"));
    String w1 = pointRow("w1");
    assertThat(w1)
        .contains("40.0 M")
        .contains("62.00%")
        .contains("57.00%")
        .as("the evidence: the steps and the gaps")
        .contains("train-eval gap at steps 100, 200, 300: 0.010 → 0.030 → 0.060");
    wait.ignoring(StaleElementReferenceException.class)
        .until(d -> pointRow("w2").contains("short regime, under-fitting: widen before deepening"));
    assertThat(pointRow("w2")).contains("160 M").contains("64.00%");
    ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, 0)");
    screenshot("registry-ui-study.png");

    // A sweep that does not exist: the page says so in the server's words.
    ((JavascriptExecutor) driver).executeScript("location.hash = '#/sweeps/no-such-sweep'");
    wait.until(d -> d.findElement(By.id("sweep-error")).isDisplayed());
    assertThat(driver.findElement(By.id("sweep-error")).getText())
        .contains("no sweep no-such-sweep");

    // Back to the dashboard: the study page hides and the charts come back.
    driver.findElement(By.cssSelector("#study-page a[href='#/']")).click();
    wait.until(d -> d.findElement(By.id("dashboard")).isDisplayed());
    assertThat(driver.findElement(By.id("study-page")).isDisplayed()).isFalse();
    assertThat(driver.manage().logs().get(LogType.BROWSER).getAll())
        .extracting(LogEntry::getMessage)
        .noneMatch(message -> message.contains("Content Security Policy"));
  }

  /** Points of a run's series on a chart, from its {@code data-counts}. */
  private int pointsOfRun(String chart, String run) {
    int points = 0;
    for (String series : attribute(chart, "data-counts").split(";")) {
      int equals = series.lastIndexOf('=');
      if (equals > 0 && series.startsWith(run + " · ")) {
        points += Integer.parseInt(series.substring(equals + 1));
      }
    }
    return points;
  }

  /** The text of a point's row in the study table, empty while it has none. */
  private String pointRow(String point) {
    List<WebElement> rows =
        driver.findElements(By.cssSelector("#sweep-points tbody tr[data-point='" + point + "']"));
    return rows.isEmpty() ? "" : rows.get(0).getText();
  }

  /** The text of the run's leaderboard row, empty while it has none. */
  private String ranked(String run) {
    for (WebElement row : driver.findElements(By.cssSelector("#leaderboard tbody tr"))) {
      String text = row.getText();
      if (text.contains(run)) {
        return text;
      }
    }
    return "";
  }

  private void screenshot(String name) throws Exception {
    Path screenshot = Path.of("target", name);
    Files.createDirectories(screenshot.getParent());
    Files.copy(
        ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(),
        screenshot,
        StandardCopyOption.REPLACE_EXISTING);
    assertThat(Files.size(screenshot)).isPositive();
  }

  private void publish(String topic, String key, Object event) {
    sender.send(topic, bytes(key), Json.toBytes(event)).block(WAIT);
  }

  private void publishLoss(String run, long step, double loss) {
    MetricEvent event =
        MetricEvent.now(
            "trainer", run, step, Map.of("loss", loss, "lr", 0.1, "imagesPerSecond", 400.0));
    sender.send(Topics.METRICS, bytes(run), Json.toBytes(event)).block(WAIT);
  }

  private String attribute(String id, String name) {
    String value = driver.findElement(By.id(id)).getDomAttribute(name);
    return value == null ? "" : value;
  }

  private String lossCanvas() {
    Object url =
        ((JavascriptExecutor) driver)
            .executeScript(
                "const c = document.querySelector('#chart-loss canvas');"
                    + " return c ? c.toDataURL() : '';");
    return String.valueOf(url);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
