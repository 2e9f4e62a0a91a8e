package dev.cardinal.registry;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * Headers every response carries so a browser treats the registry as a locked-down app: no content
 * sniffing, no framing, no referrer leaking run names to other sites, and a content security policy
 * that lets the UI load only its own scripts, styles and data.
 *
 * <p>The UI is {@code index.html}, {@code app.js}, {@code style.css} and the uPlot webjar, all
 * same-origin files; it fetches {@code /api/...} and opens the SSE stream on the same origin. No
 * inline script or handler is allowed, so none may be added to the page.
 */
final class SecurityHeaders {
  static final String CONTENT_SECURITY_POLICY =
      String.join(
          "; ",
          "default-src 'self'",
          "script-src 'self'",
          "style-src 'self'",
          "img-src 'self' data:",
          "connect-src 'self'",
          "object-src 'none'",
          "base-uri 'none'",
          "form-action 'none'",
          "frame-ancestors 'none'");

  private SecurityHeaders() {}

  /** Adds the headers and passes the request on; runs before every other handler. */
  static void add(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    response
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    ctx.next();
  }
}
