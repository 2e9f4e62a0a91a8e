package dev.cardinal.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.event.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The registry's REST API over HTTP, for {@code cardinal checkpoints}. Every failure a user can
 * cause or fix (no registry there, a URL that is not one, a refused request) is a {@link UserError}
 * that says what to do.
 */
final class RegistryClient {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A JSON answer, with the cursor of the next page when the answer is a page of a list. */
  record Reply(JsonNode body, String nextCursor) {}

  /** The base URL as the user gave it, for messages. */
  private final String registry;

  /**
   * @param registry the registry's base URL, e.g. {@code http://localhost:8080}
   */
  RegistryClient(String registry) {
    this.registry = registry;
  }

  JsonNode get(String pathAndQuery) {
    return send(HttpRequest.newBuilder().GET(), pathAndQuery, null).body();
  }

  /**
   * @param token the admin token for a change, or null for a read
   */
  Reply send(HttpRequest.Builder request, String pathAndQuery, String token) {
    URI uri = uri(pathAndQuery);
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response;
    try {
      response =
          HTTP.send(
              request.uri(uri).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new UserError(
          "no registry answers at "
              + base()
              + ": start one with 'cardinal registry' or 'cardinal run', or point --registry /"
              + " CARDINAL_REGISTRY at it");
    } catch (IOException e) {
      throw new UserError("talking to the registry at " + base() + " failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserError("interrupted while waiting for the registry");
    }
    JsonNode body;
    try {
      body = Json.MAPPER.readTree(response.body());
    } catch (IOException e) {
      throw new UserError(
          base()
              + " answered HTTP "
              + response.statusCode()
              + " with something that is not"
              + " JSON: is --registry the Cardinal registry?");
    }
    if (response.statusCode() >= 400) {
      String error = body != null && body.hasNonNull("error") ? body.get("error").asText() : "";
      throw new UserError("registry refused (HTTP " + response.statusCode() + "): " + error);
    }
    return new Reply(body, response.headers().firstValue("X-Next-Cursor").orElse(null));
  }

  private String base() {
    String b = registry == null ? "" : registry.strip();
    while (b.endsWith("/")) {
      b = b.substring(0, b.length() - 1);
    }
    return b;
  }

  private URI uri(String pathAndQuery) {
    try {
      URI uri = URI.create(base() + pathAndQuery);
      if (uri.getScheme() == null
          || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
          || uri.getHost() == null) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
      return uri;
    } catch (IllegalArgumentException e) {
      throw new UserError(
          "--registry '" + registry + "' is not a URL such as http://localhost:8080");
    }
  }

  /** One path segment (a run, an alias), escaped. */
  static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A query string of the parameters that are not null, or "" when all are. */
  static String query(Map<String, Object> params) {
    StringBuilder q = new StringBuilder();
    for (Map.Entry<String, Object> e : params.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      q.append(q.length() == 0 ? '?' : '&')
          .append(e.getKey())
          .append('=')
          .append(URLEncoder.encode(String.valueOf(e.getValue()), StandardCharsets.UTF_8));
    }
    return q.toString();
  }
}
