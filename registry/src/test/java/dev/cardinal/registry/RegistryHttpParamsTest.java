package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.get;
import static dev.cardinal.registry.Fixtures.json;
import static dev.cardinal.registry.Fixtures.runWithOneCheckpoint;
import static dev.cardinal.registry.Fixtures.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 13: every malformed or out-of-range parameter, in the query, the path or a body, is a 400
 * naming it and what it accepts, never a 500. Over real HTTP.
 */
class RegistryHttpParamsTest {
  private static final String TOKEN = "hardening-test-token-0123456789abcdef";

  @RegisterExtension
  static final TestRegistry registry = new TestRegistry("registry-params", TOKEN);

  private static String run;

  @BeforeAll
  static void oneRun() {
    run = runWithOneCheckpoint(registry.server(), "registry-params");
  }

  @Test
  void everyMalformedParameterIs400NamingItAndWhatItAccepts() {
    String c = "/api/checkpoints";
    String best = "/api/runs/" + run + "/best";
    String one = "/api/checkpoints/" + run;
    String forgedCursor =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("step|d|99999999999999999999|1|1|r".getBytes(StandardCharsets.UTF_8));
    // {request, parameter named in the error, what the error says is accepted}
    String[][] cases = {
      {best + "?resolution=4294967296", "resolution", "from 1 to 2147483647"},
      {best + "?resolution=-224", "resolution", "from 1 to 2147483647"},
      {best + "?resolution=0x10", "resolution", "from 1 to 2147483647"},
      {best + "?metric=loss", "metric", "top1, top5, nll"},
      {best + "?weights=fp8", "weights", "raw, ema"},
      {c + "?resolution=4294967296", "resolution", "from 1 to 2147483647"},
      {c + "?limit=-5", "limit", "from 1 to 1000"},
      {c + "?limit=4294967296", "limit", "from 1 to 1000"},
      {c + "?limit=99999999999999999999", "limit", "from 1 to 1000"},
      {c + "?minStep=-1", "minStep", "0 or more"},
      {c + "?maxStep=9223372036854775808", "maxStep", "0 or more"},
      {c + "?since=-1", "since", "0 or more"},
      {c + "?until=yesterday", "until", "0 or more"},
      {c + "?minTop1=NaN", "minTop1", "finite number"},
      {c + "?minTop5=1e999", "minTop5", "finite number"},
      {c + "?maxNll=low", "maxNll", "finite number"},
      {c + "?includeDeleted=yes", "includeDeleted", "true or false"},
      {c + "?order=up", "order", "asc, desc"},
      {c + "?sort=speed", "sort", "created, step, top1, top5, nll"},
      {c + "?weights=fp16", "weights", "raw, ema"},
      {c + "?cursor=%25%25garbage", "cursor", "nextCursor"},
      {c + "?cursor=" + forgedCursor, "cursor", "nextCursor"},
      {"/api/evaluations?limit=0", "limit", "from 1 to 20000"},
      {"/api/evaluations?limit=-1", "limit", "from 1 to 20000"},
      {"/api/evaluations?limit=2147483648", "limit", "from 1 to 20000"},
      {one + "/-1", "step", "0 or more"},
      {one + "/9223372036854775808", "step", "0 or more"},
      {one + "/1.5", "step", "0 or more"},
      {one + "/abc/download", "step", "0 or more"},
      {one + "/100/download?object=secrets", "object", "params, ema, optimizer"},
    };
    for (String[] c3 : cases) {
      HttpResponse<String> r = get(registry.port(), c3[0]);
      assertThat(r.statusCode()).as(c3[0] + " -> " + r.body()).isEqualTo(400);
      assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
      assertThat(json(r).get("error").asText()).as(c3[0]).contains(c3[1]).contains(c3[2]);
    }
  }

  @Test
  void everyNumericBoundTheOpenApiDocumentsIsEnforcedWithA400() throws Exception {
    JsonNode doc = new YAMLMapper().readTree(get(registry.port(), "/api/openapi.yaml").body());
    int checked = 0;
    for (String path :
        List.of(
            "/api/checkpoints",
            "/api/runs/{run}/best",
            "/api/runs/{run}/schedule",
            "/api/evaluations")) {
      for (JsonNode param : doc.get("paths").get(path).get("get").get("parameters")) {
        JsonNode schema = param.get("schema");
        if (param.has("$ref") || !schema.has("type")) {
          continue;
        }
        String type = schema.get("type").asText();
        if (!type.equals("integer") && !type.equals("number")) {
          continue;
        }
        String name = param.get("name").asText();
        BigDecimal step = type.equals("integer") ? BigDecimal.ONE : new BigDecimal("0.5");
        List<String> outside = new ArrayList<>(List.of("twelve"));
        if (schema.has("minimum")) {
          outside.add(schema.get("minimum").decimalValue().subtract(step).toPlainString());
        }
        if (schema.has("maximum")) {
          outside.add(schema.get("maximum").decimalValue().add(step).toPlainString());
        }
        for (String value : outside) {
          String request = path.replace("{run}", run) + "?" + name + "=" + value;
          HttpResponse<String> r = get(registry.port(), request);
          assertThat(r.statusCode()).as(request + " -> " + r.body()).isEqualTo(400);
          assertThat(json(r).get("error").asText()).as(request).contains(name).contains(value);
          checked++;
        }
      }
    }
    assertThat(checked).as("bounds checked").isGreaterThanOrEqualTo(20);
  }

  @Test
  void malformedStepsInChangesAre400() {
    HttpRequest.Builder tag =
        HttpRequest.newBuilder()
            .header("Authorization", "Bearer " + TOKEN)
            .PUT(HttpRequest.BodyPublishers.noBody());
    HttpResponse<String> r =
        send(registry.port(), tag, "/api/checkpoints/" + run + "/-3/tags/keep");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("error").asText()).contains("step").contains("0 or more");
    r =
        send(
            registry.port(),
            tag.copy().DELETE(),
            "/api/checkpoints/" + run + "/18446744073709551616/tags/keep");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("error").asText()).contains("step");

    for (String body : List.of("{\"step\": 99999999999999999999}", "{\"step\": -1}")) {
      r =
          send(
              registry.port(),
              HttpRequest.newBuilder()
                  .header("Authorization", "Bearer " + TOKEN)
                  .PUT(HttpRequest.BodyPublishers.ofString(body)),
              "/api/runs/" + run + "/aliases/prod");
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(json(r).get("error").asText()).as(body).contains("step").contains("0 or more");
    }
  }
}
