package dev.cardinal.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.cardinal.core.Topics;
import dev.cardinal.core.event.AnnotationEvent;
import dev.cardinal.core.event.AnnotationEvent.Action;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.s3.CheckpointStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP surface: REST API, live stream, Prometheus scrape, OpenAPI document and the UI. */
final class RegistryRoutes {
  private static final Logger log = LoggerFactory.getLogger(RegistryRoutes.class);
  static final String UPLOT_WEBJAR = "META-INF/resources/webjars/uplot/1.6.30";
  static final Duration DOWNLOAD_EXPIRY = Duration.ofMinutes(15);
  static final List<String> DOWNLOADABLE =
      List.of("params", "ema", "optimizer", CheckpointStore.MANIFEST);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Set<String> LIST_PARAMS =
      Set.of(
          "run",
          "model",
          "minStep",
          "maxStep",
          "since",
          "until",
          "tag",
          "includeDeleted",
          "resolution",
          "weights",
          "minTop1",
          "minTop5",
          "maxNll",
          "sort",
          "order",
          "limit",
          "cursor");
  private static final Set<String> EVALUATION_PARAMS = Set.of("run", "limit");
  static final int MAX_EVALUATION_POINTS = 20_000;
  static final int MAX_BODY_BYTES = 4 * 1024;
  private static final Set<String> BEST_PARAMS = Set.of("metric", "resolution", "weights");
  private static final List<String> WEIGHTS = List.of("raw", "ema");

  /**
   * The answers' JSON: the shared mapper, with doubles written by Jackson's Schubfach writer, the
   * same numbers several times faster than {@code Double.toString}, which was a third of the cost
   * of encoding a page of scored checkpoints.
   */
  static final ObjectWriter JSON =
      Json.MAPPER.writer().with(StreamWriteFeature.USE_FAST_DOUBLE_WRITER);

  private final Vertx vertx;
  private final CheckpointDb db;
  private final LiveStream stream;
  private final PipelineHealth health;
  private final PrometheusMeterRegistry meters;
  private final CheckpointStore checkpointStore;
  private final AnnotationSync annotations;
  private final byte[] adminToken;
  private final byte[] openApi = resource("openapi.yaml");

  RegistryRoutes(
      Vertx vertx,
      CheckpointDb db,
      LiveStream stream,
      PipelineHealth health,
      PrometheusMeterRegistry meters,
      CheckpointStore checkpointStore,
      AnnotationSync annotations,
      String adminToken) {
    this.vertx = vertx;
    this.db = db;
    this.stream = stream;
    this.health = health;
    this.meters = meters;
    this.checkpointStore = checkpointStore;
    this.annotations = annotations;
    this.adminToken = adminToken == null ? null : adminToken.getBytes(StandardCharsets.UTF_8);
  }

  Router router() {
    Router router = Router.router(vertx);
    router.route().handler(SecurityHeaders::add);

    router.get("/api/checkpoints").handler(ctx -> json(ctx, () -> listCheckpoints(ctx)));
    router.get("/api/checkpoints/:run/:step").handler(ctx -> json(ctx, () -> checkpoint(ctx)));
    router
        .get("/api/checkpoints/:run/:step/download")
        .handler(ctx -> json(ctx, () -> download(ctx)));
    router.put("/api/checkpoints/:run/:step/tags/:tag").handler(ctx -> json(ctx, () -> tag(ctx)));
    router
        .delete("/api/checkpoints/:run/:step/tags/:tag")
        .handler(ctx -> json(ctx, () -> untag(ctx)));
    router.get("/api/runs").handler(ctx -> json(ctx, () -> noParams(ctx, db::runs)));
    router.get("/api/runs/:run/best").handler(ctx -> json(ctx, () -> best(ctx)));
    router.get("/api/runs/:run/schedule").handler(ctx -> json(ctx, () -> schedule(ctx)));
    router
        .get("/api/runs/:run/aliases")
        .handler(ctx -> json(ctx, () -> noParams(ctx, () -> db.aliases(ctx.pathParam("run")))));
    router.get("/api/runs/:run/aliases/:alias").handler(ctx -> json(ctx, () -> byAlias(ctx)));
    router
        .put("/api/runs/:run/aliases/:alias")
        .handler(smallJsonBody())
        .handler(ctx -> json(ctx, () -> setAlias(ctx)));
    router
        .delete("/api/runs/:run/aliases/:alias")
        .handler(ctx -> json(ctx, () -> removeAlias(ctx)));
    router.get("/api/evaluations").handler(ctx -> json(ctx, () -> evaluations(ctx)));
    router.get("/api/sweeps").handler(ctx -> json(ctx, () -> noParams(ctx, db::sweeps)));
    router.get("/api/sweeps/:sweep").handler(ctx -> json(ctx, () -> sweep(ctx)));
    router.get("/api/health").handler(ctx -> json(ctx, () -> noParams(ctx, health::snapshot)));
    router.get("/api/stream").handler(stream::handle);
    router
        .get("/api/openapi.yaml")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "application/yaml; charset=utf-8")
                    .end(Buffer.buffer(openApi)));
    router.route("/api/*").handler(this::unknownApi);

    router.get("/metrics").handler(this::scrape);
    router.route("/webjars/uplot/*").handler(StaticHandler.create(UPLOT_WEBJAR));
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    router.route().failureHandler(this::failure);
    return router;
  }

  /**
   * Only setting an alias reads a body, so only that route buffers one: a request anywhere else is
   * answered without its body being read or stored. File uploads are off because a multipart upload
   * would be written to disk before routing and authorization run.
   */
  private static BodyHandler smallJsonBody() {
    return BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
  }

  // ---------------------------------------------------------------- handlers (worker threads)

  private Object listCheckpoints(RoutingContext ctx) {
    RequestParams p = RequestParams.of(ctx, LIST_PARAMS, "GET /api/checkpoints");
    String order = p.oneOf("order", List.of("asc", "desc"));
    CheckpointQuery query =
        new CheckpointQuery(
            p.string("run"),
            p.string("model"),
            p.longIn("minStep", 0, Long.MAX_VALUE),
            p.longIn("maxStep", 0, Long.MAX_VALUE),
            p.longIn("since", 0, Long.MAX_VALUE),
            p.longIn("until", 0, Long.MAX_VALUE),
            p.string("tag"),
            p.bool("includeDeleted", false),
            p.intIn("resolution", 1, Integer.MAX_VALUE),
            p.oneOf("weights", WEIGHTS),
            p.doubleIn("minTop1", 0, 1),
            p.doubleIn("minTop5", 0, 1),
            p.finiteDouble("maxNll"),
            p.oneOf("sort", CheckpointQuery.SORTS),
            order == null ? null : order.equals("desc"),
            p.intIn("limit", 1, CheckpointQuery.MAX_LIMIT, CheckpointQuery.DEFAULT_LIMIT),
            p.string("cursor"));
    Views.Page page = db.list(query);
    if (page.nextCursor() != null) {
      ctx.response().putHeader("X-Next-Cursor", page.nextCursor());
      ctx.response()
          .putHeader(
              "Link", "</api/checkpoints?" + nextQuery(ctx, page.nextCursor()) + ">; rel=\"next\"");
    }
    return page.checkpoints();
  }

  private static String nextQuery(RoutingContext ctx, String cursor) {
    StringBuilder q = new StringBuilder();
    for (Map.Entry<String, String> e : ctx.queryParams()) {
      if (!e.getKey().equals("cursor")) {
        q.append(encode(e.getKey())).append('=').append(encode(e.getValue())).append('&');
      }
    }
    return q.append("cursor=").append(cursor).toString();
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private Object evaluations(RoutingContext ctx) {
    RequestParams p = RequestParams.of(ctx, EVALUATION_PARAMS, "GET /api/evaluations");
    int limit = p.intIn("limit", 1, MAX_EVALUATION_POINTS, MAX_EVALUATION_POINTS);
    return db.evaluationPoints(p.string("run"), limit);
  }

  private Object schedule(RoutingContext ctx) {
    RequestParams p =
        RequestParams.of(ctx, Set.of("step", "points"), "GET /api/runs/{run}/schedule");
    String run = ctx.pathParam("run");
    Long step = p.longIn("step", 0, Long.MAX_VALUE);
    int points = p.intIn("points", 2, ScheduleSamples.MAX_POINTS, ScheduleSamples.DEFAULT_POINTS);
    Views.Checkpoint c =
        step != null
            ? requireCheckpoint(run, step)
            : db.latest(run)
                .orElseThrow(() -> ApiException.notFound("run " + run + " has no checkpoint"));
    return ScheduleSamples.of(c.stored(), points);
  }

  private Object checkpoint(RoutingContext ctx) {
    RequestParams.of(ctx, Set.of(), "GET /api/checkpoints/{run}/{step}");
    return requireCheckpoint(ctx.pathParam("run"), step(ctx));
  }

  private Views.Checkpoint requireCheckpoint(String run, long step) {
    return db.find(run, step)
        .orElseThrow(
            () -> ApiException.notFound("run " + run + " has no checkpoint at step " + step));
  }

  private Object download(RoutingContext ctx) {
    RequestParams p =
        RequestParams.of(ctx, Set.of("object"), "GET /api/checkpoints/{run}/{step}/download");
    // Malformed parameters are a 400 whether or not downloads are on.
    long step = step(ctx);
    String object = p.oneOf("object", DOWNLOADABLE);
    List<String> objects = object == null ? DOWNLOADABLE : List.of(object);
    if (checkpointStore == null) {
      throw new ApiException(
          503,
          "downloads are off: this registry was started without an S3 store"
              + " (give --s3-endpoint or CARDINAL_S3_ENDPOINT)");
    }
    Views.StoredCheckpoint c = requireCheckpoint(ctx.pathParam("run"), step).stored();
    if (c.deleted()) {
      throw new ApiException(
          410, "checkpoint " + c.id() + " was deleted from S3 by retention; pick another step");
    }
    String prefix =
        c.prefix() != null ? c.prefix() : CheckpointStore.checkpointPrefix(c.run(), c.step());
    Map<String, String> urls = new LinkedHashMap<>();
    for (String name : objects) {
      urls.put(name, checkpointStore.presignedGet(prefix + name, DOWNLOAD_EXPIRY));
    }
    return Map.of(
        "checkpoint", c.id(), "expiresInSeconds", DOWNLOAD_EXPIRY.toSeconds(), "urls", urls);
  }

  private Object tag(RoutingContext ctx) {
    authorize(ctx);
    String tag = name(ctx.pathParam("tag"), "tag");
    return setOnLive(AnnotationEvent.tag(ctx.pathParam("run"), step(ctx), tag, Action.SET));
  }

  private Object untag(RoutingContext ctx) {
    authorize(ctx);
    String tag = name(ctx.pathParam("tag"), "tag");
    String run = ctx.pathParam("run");
    long step = step(ctx);
    if (!db.find(run, step).map(c -> c.tags().contains(tag)).orElse(false)) {
      throw ApiException.notFound("checkpoint " + run + "/" + step + " has no tag " + tag);
    }
    annotate(AnnotationEvent.tag(run, step, tag, AnnotationEvent.Action.REMOVE));
    return requireCheckpoint(run, step);
  }

  /** Aliasing or tagging a deleted checkpoint would promise bytes that are gone. */
  private static void requireLive(Views.StoredCheckpoint c) {
    if (c.deleted()) {
      throw new ApiException(
          409,
          "checkpoint "
              + c.step()
              + " of run "
              + c.run()
              + " was deleted by retention; aliases and tags can only name a live checkpoint");
    }
  }

  /**
   * Writes an alias or tag change to the annotations log, through which it reaches retention (and a
   * rebuilt store), then applies it to the store. A SET that lands after retention's intent to
   * delete the checkpoint is refused by every reader of the log; the REMOVE written then records
   * that for anyone reading the log without folding it, and the caller gets a 409 instead of a
   * promise that will not hold.
   */
  private void annotate(AnnotationEvent change) {
    if (append(change) || change.action() == AnnotationEvent.Action.REMOVE) {
      annotations.applyNow(change);
      return;
    }
    append(
        new AnnotationEvent(
            AnnotationEvent.SCHEMA_VERSION,
            change.runId(),
            change.step(),
            change.kind(),
            change.name(),
            AnnotationEvent.Action.REMOVE,
            System.currentTimeMillis()));
    throw new ApiException(
        409,
        "checkpoint "
            + change.step()
            + " of run "
            + change.runId()
            + " is being deleted by retention; "
            + (change.kind() == AnnotationEvent.Kind.ALIAS ? "alias" : "tag")
            + " another checkpoint");
  }

  private Object best(RoutingContext ctx) {
    RequestParams p = RequestParams.of(ctx, BEST_PARAMS, "GET /api/runs/{run}/best");
    String run = ctx.pathParam("run");
    String metric = p.oneOf("metric", CheckpointDb.METRICS);
    return db.best(
            run,
            metric == null ? "top1" : metric,
            p.intIn("resolution", 1, Integer.MAX_VALUE),
            p.oneOf("weights", WEIGHTS))
        .orElseThrow(
            () -> ApiException.notFound("run " + run + " has no evaluated checkpoint to rank"));
  }

  private Object sweep(RoutingContext ctx) {
    RequestParams.of(ctx, Set.of(), "GET /api/sweeps/{id}");
    String id = ctx.pathParam("sweep");
    return db.sweep(id)
        .orElseThrow(
            () ->
                ApiException.notFound(
                    "no sweep "
                        + id
                        + ": GET /api/sweeps lists the sweeps this registry has seen"));
  }

  private Object byAlias(RoutingContext ctx) {
    RequestParams.of(ctx, Set.of(), "GET /api/runs/{run}/aliases/{alias}");
    String run = ctx.pathParam("run");
    String alias = ctx.pathParam("alias");
    long step =
        db.alias(run, alias)
            .orElseThrow(() -> ApiException.notFound("run " + run + " has no alias " + alias));
    return requireCheckpoint(run, step);
  }

  private Object setAlias(RoutingContext ctx) {
    authorize(ctx);
    String alias = name(ctx.pathParam("alias"), "alias");
    return setOnLive(
        AnnotationEvent.alias(ctx.pathParam("run"), stepFromBody(ctx), alias, Action.SET));
  }

  /**
   * Sets an alias or tag on a checkpoint that still exists, through the annotations log: the
   * checkpoint as it stands after.
   */
  private Views.Checkpoint setOnLive(AnnotationEvent set) {
    requireLive(requireCheckpoint(set.runId(), set.step()).stored());
    annotate(set);
    return requireCheckpoint(set.runId(), set.step());
  }

  private Object removeAlias(RoutingContext ctx) {
    authorize(ctx);
    String run = ctx.pathParam("run");
    String alias = ctx.pathParam("alias");
    long step =
        db.alias(run, alias)
            .orElseThrow(() -> ApiException.notFound("run " + run + " has no alias " + alias));
    annotate(AnnotationEvent.alias(run, step, alias, AnnotationEvent.Action.REMOVE));
    return Map.of("run", run, "alias", alias, "removed", true);
  }

  private static long stepFromBody(RoutingContext ctx) {
    String body = ctx.body() == null ? null : ctx.body().asString();
    if (body == null || body.isBlank()) {
      throw ApiException.badRequest("send a JSON body {\"step\": N} naming the checkpoint");
    }
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("body is not JSON: " + e.getOriginalMessage());
    }
    JsonNode step = node == null ? null : node.get("step");
    if (step == null || !step.isIntegralNumber()) {
      throw ApiException.badRequest("body must be {\"step\": N} with a whole number N");
    }
    return RequestParams.parseLong("step", step.asText(), 0, Long.MAX_VALUE);
  }

  private void authorize(RoutingContext ctx) {
    if (adminToken == null) {
      throw new ApiException(
          403,
          "changes are disabled: start the registry with an admin token"
              + " (--admin-token or CARDINAL_REGISTRY_TOKEN)");
    }
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      throw new ApiException(401, "send the admin token as 'Authorization: Bearer <token>'");
    }
    byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(given, adminToken)) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      throw new ApiException(401, "the bearer token is not the registry's admin token");
    }
  }

  private static long step(RoutingContext ctx) {
    return RequestParams.pathLong(ctx, "step", 0, Long.MAX_VALUE);
  }

  private static String name(String value, String what) {
    if (!NAME.matcher(value).matches()) {
      throw ApiException.badRequest(
          what
              + " '"
              + value
              + "' is not allowed: use 1-64 letters, digits, '.', '_' or '-',"
              + " starting with a letter or digit");
    }
    return value;
  }

  private static <T> T noParams(RoutingContext ctx, Callable<T> work) throws Exception {
    RequestParams.of(ctx, Set.of(), ctx.request().method() + " " + ctx.request().path());
    return work.call();
  }

  private boolean append(AnnotationEvent change) {
    try {
      return annotations.annotations().append(change);
    } catch (ApiException e) {
      throw e;
    } catch (RuntimeException e) {
      log.warn("Could not write {} to {}: {}", change, Topics.ANNOTATIONS, e.toString());
      throw new ApiException(
          503,
          "Kafka did not take the change to "
              + Topics.ANNOTATIONS
              + " in time, so it may not be recorded: check the checkpoint and try again");
    }
  }

  // ---------------------------------------------------------------- plumbing

  private static byte[] resource(String name) {
    try (InputStream in = RegistryRoutes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing from the registry jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs a handler off the event loop (it touches the database) and answers with its JSON, written
   * as UTF-8 bytes at once rather than as a string the event loop would encode again.
   */
  private void json(RoutingContext ctx, Callable<Object> work) {
    answer(
        ctx,
        "application/json; charset=utf-8",
        () -> Buffer.buffer(JSON.writeValueAsBytes(work.call())));
  }

  private void scrape(RoutingContext ctx) {
    answer(
        ctx,
        "text/plain; version=0.0.4; charset=utf-8",
        () -> Buffer.buffer(meters.scrape(), "UTF-8"));
  }

  /** Computes a body off the event loop and answers with it, or with the error it failed with. */
  private void answer(RoutingContext ctx, String contentType, Callable<Buffer> body) {
    vertx
        .executeBlocking(body, false)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                ctx.response().putHeader("Content-Type", contentType).end(ar.result());
              } else {
                error(ctx, ar.cause());
              }
            });
  }

  private void unknownApi(RoutingContext ctx) {
    error(
        ctx,
        ApiException.notFound(
            "no such endpoint: "
                + ctx.request().method()
                + " "
                + ctx.request().path()
                + " (see /api/openapi.yaml)"));
  }

  private void failure(RoutingContext ctx) {
    if (ctx.failure() != null) {
      error(ctx, ctx.failure());
    } else {
      int status = ctx.statusCode() < 0 ? 500 : ctx.statusCode();
      String message =
          switch (status) {
            case 404 -> "not found: " + ctx.request().path();
            case 405 -> ctx.request().method() + " is not allowed on " + ctx.request().path();
            case 413 ->
                "request body is too large: the API takes JSON bodies of at most "
                    + MAX_BODY_BYTES
                    + " bytes and no file uploads";
            default -> "request failed with status " + status;
          };
      error(ctx, new ApiException(status, message));
    }
  }

  static void error(RoutingContext ctx, Throwable failure) {
    if (ctx.response().ended()) {
      return;
    }
    int status;
    String message;
    if (failure instanceof ApiException api) {
      status = api.status();
      message = api.getMessage();
    } else if (failure instanceof StoreException store && store.unavailable()) {
      // Down or restarting: the same request works once the database is back.
      status = 503;
      message = "the registry database is unavailable; try again shortly";
      log.warn(
          "{} {} failed: {}", ctx.request().method(), ctx.request().path(), store.getMessage());
    } else {
      // The cause (SQL text, driver and database details) is for the operator's log only; the
      // caller gets an id to quote when reporting it.
      status = 500;
      String errorId = UUID.randomUUID().toString().substring(0, 8);
      message = "internal error, see the server log (error id " + errorId + ")";
      log.error(
          "{} {} failed (error id {})",
          ctx.request().method(),
          ctx.request().path(),
          errorId,
          failure);
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(Json.toString(Map.of("error", message == null ? failure.toString() : message)));
  }
}
