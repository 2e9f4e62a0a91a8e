package dev.cardinal.registry;

import dev.cardinal.core.event.Json;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code GET /api/stream}: Server-Sent Events. A new browser gets one {@code history} event (every
 * series in the hub's buffers) and then a {@code metric} event per {@link
 * dev.cardinal.core.event.MetricEvent}. A browser that cannot keep up is disconnected rather than
 * buffered without bound; EventSource reconnects and starts again from the history.
 */
final class LiveStream implements AutoCloseable {
  private static final long HEARTBEAT_MS = 15_000;

  private final Vertx vertx;
  private final MetricHub hub;
  private final Set<HttpServerResponse> open = ConcurrentHashMap.newKeySet();
  private final long heartbeatTimer;

  LiveStream(Vertx vertx, MetricHub hub) {
    this.vertx = vertx;
    this.hub = hub;
    // Proxies and browsers drop idle connections; a comment line keeps them open.
    this.heartbeatTimer =
        vertx.setPeriodic(HEARTBEAT_MS, id -> open.forEach(r -> send(r, ":\n\n")));
  }

  void handle(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    response
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    Context context = vertx.getOrCreateContext();
    MetricHub.Subscription subscription =
        hub.subscribe(
            json ->
                context.runOnContext(v -> send(response, "event: metric\ndata: " + json + "\n\n")));
    open.add(response);
    Runnable end =
        () -> {
          subscription.close();
          open.remove(response);
        };
    response.closeHandler(v -> end.run());
    response.exceptionHandler(e -> end.run());
    // The retry hint makes EventSource reconnect quickly after a restart of the server.
    send(
        response,
        "retry: 2000\nevent: history\ndata: " + Json.toString(subscription.history()) + "\n\n");
  }

  private void send(HttpServerResponse response, String frame) {
    if (response.closed() || response.ended()) {
      return;
    }
    if (response.writeQueueFull()) {
      response.reset();
      return;
    }
    response.write(frame);
  }

  int clients() {
    return open.size();
  }

  @Override
  public void close() {
    // Open responses end when the server closes their connections.
    vertx.cancelTimer(heartbeatTimer);
  }
}
