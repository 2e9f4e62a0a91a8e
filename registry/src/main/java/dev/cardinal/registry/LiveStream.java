package dev.cardinal.registry;

import dev.cardinal.core.event.Json;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
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
 *
 * <p>Later events reach a browser in batches, at most {@link #FLUSH_MS} apart: a trainer reports
 * many times a second, and one write per event and browser cost the event loop (and each browser) a
 * wake-up and a system call per event, several thousand a second with a room full of tabs.
 */
final class LiveStream implements AutoCloseable {
  static final int DEFAULT_MAX_CLIENTS = 64;
  private static final long HEARTBEAT_MS = 15_000;

  /** The longest an event waits for the next write to its browser; charts redraw no faster. */
  static final long FLUSH_MS = 100;

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
    // Events wait in the outbox for the next flush, and while the history is being serialized,
    // so the browser sees the history first and then every later event once.
    Outbox outbox = new Outbox();
    // Touched only on the event loop.
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
                      json -> {
                        if (outbox.add("event: metric\ndata: " + json + "\n\n")) {
                          // The first event since the last flush: flush after a while, on the
                          // response's event loop (a timer set there runs there).
                          context.runOnContext(
                              v ->
                                  vertx.setTimer(
                                      FLUSH_MS,
                                      id -> {
                                        if (historySent[0]) {
                                          send(response, outbox.drain());
                                        }
                                      }));
                        }
                      });
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
              send(response, outbox.drain());
              historySent[0] = true;
            });
  }

  private record Started(MetricHub.Subscription subscription, String historyFrame) {}

  /** Frames not yet written to one browser, filled from the hub's thread, drained on its loop. */
  private static final class Outbox {
    private final StringBuilder frames = new StringBuilder();

    /** Adds a frame; true when the outbox was empty, so a flush must be scheduled. */
    synchronized boolean add(String frame) {
      boolean wasEmpty = frames.length() == 0;
      frames.append(frame);
      return wasEmpty;
    }

    /** Everything added since the last drain, in order; empty when nothing was. */
    synchronized String drain() {
      String out = frames.toString();
      frames.setLength(0);
      return out;
    }
  }

  private void send(HttpServerResponse response, String frame) {
    if (frame.isEmpty() || response.closed() || response.ended()) {
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
