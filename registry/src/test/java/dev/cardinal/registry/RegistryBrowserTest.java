package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.checkpoint;
import static dev.cardinal.registry.Fixtures.evaluation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Topics;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The UI in a real browser: the loss chart follows metrics published to the broker. */
class RegistryBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(60);

  private RegistryServer server;
  private KafkaSender sender;
  private WebDriver driver;

  @BeforeEach
  void start() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM),
        "no browser at " + CHROMIUM + ": apt-get install chromium chromium-driver");
    server =
        new RegistryServer(
            RegistryConfig.of(
                    TestServices.kafka(),
                    TestServices.tempDir("registry-ui").resolve("registry.db").toString())
                .withAddress("127.0.0.1", 0)
                .withGroupId(TestServices.unique("registry-ui")));
    server.start();
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
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    driver = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() {
    if (driver != null) {
      driver.quit();
    }
    if (sender != null) {
      sender.close();
    }
    if (server != null) {
      server.close();
    }
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

    Path screenshot = Path.of("target", "registry-ui.png");
    Files.createDirectories(screenshot.getParent());
    Files.copy(
        ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(),
        screenshot,
        StandardCopyOption.REPLACE_EXISTING);
    assertThat(Files.size(screenshot)).isPositive();
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
