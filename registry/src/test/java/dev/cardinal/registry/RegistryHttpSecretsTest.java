package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.get;
import static dev.cardinal.registry.Fixtures.json;
import static dev.cardinal.registry.Fixtures.registryConfig;
import static dev.cardinal.registry.Fixtures.started;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Issue 13 item 7: a failing database is explained in the log, never in an HTTP answer. */
class RegistryHttpSecretsTest {

  @Test
  void aSqlFailureIsA500WithAnIdAndTheDetailsOnlyInTheLog() {
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    Logger routesLog = (Logger) LoggerFactory.getLogger(RegistryRoutes.class);
    logged.start();
    routesLog.addAppender(logged);
    RegistryConfig config = registryConfig("registry-secrets");
    try (RegistryServer server = started(config)) {
      // The store's connection goes away under the server, as when a database server restarts.
      server.store().close();

      HttpResponse<String> r = get(server.port(), "/api/runs");

      assertThat(r.statusCode()).isEqualTo(500);
      String error = json(r).get("error").asText();
      Matcher id =
          Pattern.compile("internal error, see the server log \\(error id (\\w+)\\)")
              .matcher(error);
      assertThat(id.matches()).as(error).isTrue();
      assertThat(r.body())
          .doesNotContain("jdbc")
          .doesNotContain(config.database())
          .doesNotContainIgnoringCase("sql")
          .doesNotContain("registry database");
      assertThat(logged.list)
          .anySatisfy(
              e -> {
                assertThat(e.getFormattedMessage()).contains("error id " + id.group(1));
                assertThat(e.getThrowableProxy().getMessage()).contains("registry database");
              });
    } finally {
      routesLog.detachAppender(logged);
    }
  }
}
