package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.get;
import static dev.cardinal.registry.Fixtures.registryConfig;
import static dev.cardinal.registry.Fixtures.started;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.Resources;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13: the registry listens on loopback unless told otherwise, and every response carries the
 * security headers, against a server started with the default address.
 */
class RegistryHttpHeadersTest {
  private static RegistryServer server;
  private static int port;

  @BeforeAll
  static void start() {
    server = started(registryConfig("registry-headers"));
    port = server.port();
  }

  @AfterAll
  static void stop() {
    Resources.close(server);
  }

  @Test
  void everyResponseCarriesTheSecurityHeaders() throws Exception {
    for (String path :
        List.of(
            "/",
            "/app.js",
            "/style.css",
            "/webjars/uplot/dist/uPlot.iife.min.js",
            "/api/checkpoints",
            "/api/checkpoints?limit=0",
            "/api/nope",
            "/api/openapi.yaml",
            "/metrics",
            "/no-such-page.html")) {
      assertSecurityHeaders(path, get(port, path).headers());
    }
    HttpResponse<InputStream> stream =
        Fixtures.HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/stream"))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = stream.body()) {
      assertThat(stream.statusCode()).isEqualTo(200);
      assertSecurityHeaders("/api/stream", stream.headers());
    }
  }

  @Test
  void contentSecurityPolicyAllowsOnlyTheUisOwnFiles() {
    String csp = get(port, "/").headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp)
        .contains("default-src 'self'")
        .contains("script-src 'self'")
        .contains("frame-ancestors 'none'")
        .doesNotContain("unsafe-inline")
        .doesNotContain("unsafe-eval");
    // The policy forbids inline scripts and handlers, so the page must not have any.
    String page = get(port, "/").body();
    assertThat(page).doesNotContainPattern("(?i)<script(?![^>]*\\ssrc=)[^>]*>");
    assertThat(page).doesNotContainPattern("(?i)\\son[a-z]+\\s*=");
  }

  @Test
  void listensOnLoopbackOnlyByDefault() throws Exception {
    assertThat(RegistryConfig.DEFAULT_HOST).isEqualTo("127.0.0.1");
    assertThat(server.config().host()).isEqualTo("127.0.0.1");
    try (Socket loopback = new Socket()) {
      loopback.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      assertThat(loopback.isConnected()).isTrue();
    }
    InetAddress external = nonLoopbackAddress().orElse(null);
    org.junit.jupiter.api.Assumptions.assumeTrue(
        external != null, "this machine has no non-loopback IPv4 address to try");
    try (Socket outside = new Socket()) {
      assertThatThrownBy(() -> outside.connect(new InetSocketAddress(external, port), 5_000))
          .as("connecting through %s", external)
          .isInstanceOf(ConnectException.class);
    }
  }

  private static void assertSecurityHeaders(String path, java.net.http.HttpHeaders headers) {
    assertThat(headers.firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
    assertThat(headers.firstValue("X-Frame-Options")).as(path).hasValue("DENY");
    assertThat(headers.firstValue("Referrer-Policy")).as(path).hasValue("no-referrer");
    assertThat(headers.firstValue("Content-Security-Policy"))
        .as(path)
        .hasValue(SecurityHeaders.CONTENT_SECURITY_POLICY);
  }

  private static Optional<InetAddress> nonLoopbackAddress() throws Exception {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
          return Optional.of(address);
        }
      }
    }
    return Optional.empty();
  }
}
