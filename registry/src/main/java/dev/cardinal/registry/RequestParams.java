package dev.cardinal.registry;

import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;

/**
 * The one place the API turns request text (query parameters, path parameters, cursor fields) into
 * values. Anything malformed or out of range is a 400 that names the parameter and says what it
 * accepts, so no parse or overflow error can reach the generic 500 path.
 */
final class RequestParams {
  private final MultiMap params;

  private RequestParams(MultiMap params) {
    this.params = params;
  }

  /**
   * The query parameters of a request, refused when one is unknown to the endpoint or repeated.
   *
   * @param endpoint how the endpoint is named in the error, such as {@code GET /api/checkpoints}
   */
  static RequestParams of(RoutingContext ctx, Set<String> allowed, String endpoint) {
    MultiMap params = ctx.queryParams();
    for (String name : params.names()) {
      if (!allowed.contains(name)) {
        throw ApiException.badRequest(
            "unknown query parameter '"
                + name
                + "': "
                + endpoint
                + (allowed.isEmpty()
                    ? " takes none"
                    : " accepts " + String.join(", ", allowed.stream().sorted().toList())));
      }
      if (params.getAll(name).size() > 1) {
        throw ApiException.badRequest("query parameter '" + name + "' is given more than once");
      }
    }
    return new RequestParams(params);
  }

  /** The value, or null when the parameter is absent or empty. */
  String string(String name) {
    String value = params.get(name);
    return value == null || value.isEmpty() ? null : value;
  }

  /** A whole number in {@code [min, max]}, or null when absent. */
  Long longIn(String name, long min, long max) {
    String value = string(name);
    return value == null ? null : parseLong(name, value, min, max);
  }

  /** A whole number in {@code [min, max]}, or null when absent. */
  Integer intIn(String name, int min, int max) {
    Long value = longIn(name, min, max);
    return value == null ? null : value.intValue();
  }

  /** A whole number in {@code [min, max]}, or the fallback when absent. */
  int intIn(String name, int min, int max, int fallback) {
    Integer value = intIn(name, min, max);
    return value == null ? fallback : value;
  }

  /** A finite number, or null when absent. */
  Double finiteDouble(String name) {
    String value = string(name);
    return value == null ? null : parseFiniteDouble(name, value);
  }

  /** A number in {@code [min, max]}, or null when absent. */
  Double doubleIn(String name, double min, double max) {
    Double value = finiteDouble(name);
    if (value != null && (value < min || value > max)) {
      throw ApiException.badRequest(
          name
              + " must be a number from "
              + min
              + " to "
              + max
              + ", got '"
              + params.get(name)
              + "'");
    }
    return value;
  }

  boolean bool(String name, boolean fallback) {
    String value = string(name);
    return value == null ? fallback : parseBoolean(name, value);
  }

  /** One of the allowed words, or null when absent. */
  String oneOf(String name, List<String> allowed) {
    String value = string(name);
    if (value != null && !allowed.contains(value)) {
      throw ApiException.badRequest(
          name + " must be one of " + String.join(", ", allowed) + ", got '" + value + "'");
    }
    return value;
  }

  /** A path parameter that is a whole number in {@code [min, max]}. */
  static long pathLong(RoutingContext ctx, String name, long min, long max) {
    return parseLong(name, ctx.pathParam(name), min, max);
  }

  /**
   * Parses a whole number and checks its range. Text too long for a 64-bit number reads as out of
   * range, the same as any other value outside {@code [min, max]}.
   */
  static long parseLong(String name, String text, long min, long max) {
    long value;
    try {
      value = Long.parseLong(text == null ? "" : text.strip());
    } catch (NumberFormatException e) {
      throw outOfRange(name, text, min, max);
    }
    if (value < min || value > max) {
      throw outOfRange(name, text, min, max);
    }
    return value;
  }

  static double parseFiniteDouble(String name, String text) {
    try {
      double value = Double.parseDouble(text == null ? "" : text.strip());
      if (Double.isFinite(value)) {
        return value;
      }
    } catch (NumberFormatException e) {
      // Answered below with what is accepted.
    }
    throw ApiException.badRequest(
        name + " must be a finite number such as 0.9, got '" + shorten(text) + "'");
  }

  static boolean parseBoolean(String name, String text) {
    return switch (text) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw ApiException.badRequest(
              name + " must be true or false, got '" + shorten(text) + "'");
    };
  }

  private static ApiException outOfRange(String name, String text, long min, long max) {
    String range =
        max == Long.MAX_VALUE
            ? (min == 0 ? "0 or more" : min + " or more")
            : "from " + min + " to " + max;
    return ApiException.badRequest(
        name + " must be a whole number " + range + ", got '" + shorten(text) + "'");
  }

  /** Echoes enough of a bad value to recognise it without reflecting a huge one back. */
  private static String shorten(String text) {
    if (text == null) {
      return "";
    }
    return text.length() <= 40 ? text : text.substring(0, 40) + "…";
  }
}
