package dev.cardinal.registry;

import dev.cardinal.core.event.Json;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code GET /api/stream}: Server-Sent Events. A new browser gets one {@code history} event (every
 * series in the hub's buffers) and then a {@code metric} event per {@link
 * dev.cardinal.core.event.MetricEvent}. A browser that cannot keep up is disconnected rather than
 * buffered without bound; EventSource reconnects and starts again from the history.
 *
 * <p>The history can be megabytes of JSON, so it is copied and serialized on a worker thread, never
 * on the event loop, and at most {@link #DEFAULT_MAX_CLIENTS} browsers are served at once: each one
 * costs a history and a share of every later event.
 */
final class LiveStream implements AutoCloseable {
  static final int DEFAULT_MAX_CLIENTS = 64;
  private static final long HEARTBEAT_MS = 15_000;

  private final Vertx vertx;
  private final MetricHub hub;
  private final int maxClients;
  private final AtomicInteger clients = new AtomicInteger();
  private final Set<HttpServerResponse> open = ConcurrentHashMap.newKeySet();
  private final long heartbeatTimer;

  LiveStream(Vertx vertx, MetricHub hub) {
    this(vertx, hub, DEFAULT_MAX_CLIENTS);
  }

  LiveStream(Vertx vertx, MetricHub hub, int maxClients) {
    this.vertx = vertx;
    this.hub = hub;
    this.maxClients = maxClients;
    // Proxies and browsers drop idle connections; a comment line keeps them open.
    this.heartbeatTimer =
        vertx.setPeriodic(HEARTBEAT_MS, id -> open.forEach(r -> send(r, ":\n\n")));
  }

  void handle(RoutingContext ctx) {
    if (clients.incrementAndGet() > maxClients) {
      clients.decrementAndGet();
      RegistryRoutes.error(
          ctx,
          new ApiException(
              503,
              "the live stream already serves "
                  + maxClients
                  + " clients, its limit: close another registry tab or try again later"));
      return;
    }
    HttpServerResponse response = ctx.response();
    response
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    Context context = vertx.getOrCreateContext();
    // Touched only on the event loop: events that arrive while the history is being serialized
    // wait here, so the browser sees the history first and then every later event once.
    List<String> pending = new ArrayList<>();
    boolean[] historySent = {false};
    MetricHub.Subscription[] subscription = {null};
    boolean[] ended = {false};
    Runnable end =
        () -> {
          if (!ended[0]) {
            ended[0] = true;
            if (subscription[0] != null) {
              subscription[0].close();
            }
            open.remove(response);
            clients.decrementAndGet();
          }
        };
    response.closeHandler(v -> end.run());
    response.exceptionHandler(e -> end.run());
    vertx
        .executeBlocking(
            () -> {
              MetricHub.Subscription s =
                  hub.subscribe(
                      json ->
                          context.runOnContext(
                              v -> {
                                String frame = "event: metric\ndata: " + json + "\n\n";
                                if (historySent[0]) {
                                  send(response, frame);
                                } else {
                                  pending.add(frame);
                                }
                              }));
              // The retry hint makes EventSource reconnect quickly after a server restart.
              String history =
                  "retry: 2000\nevent: history\ndata: " + Json.toString(s.history()) + "\n\n";
              return new Started(s, history);
            },
            false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                end.run();
                RegistryRoutes.error(ctx, ar.cause());
                return;
              }
              subscription[0] = ar.result().subscription();
              if (ended[0]) {
                // The browser left while the history was being prepared.
                subscription[0].close();
                return;
              }
              open.add(response);
              send(response, ar.result().historyFrame());
              pending.forEach(frame -> send(response, frame));
              pending.clear();
              historySent[0] = true;
            });
  }

  private record Started(MetricHub.Subscription subscription, String historyFrame) {}

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
