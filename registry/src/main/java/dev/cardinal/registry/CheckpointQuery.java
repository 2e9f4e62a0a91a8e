package dev.cardinal.registry;

/**
 * Filters of {@code GET /api/checkpoints}. Null fields do not filter.
 *
 * @param cursor opaque position returned as the previous page's next cursor
 * @param includeDeleted also list checkpoints that retention deleted from S3
 */
public record CheckpointQuery(
    String run,
    String model,
    Long minStep,
    Long maxStep,
    String tag,
    boolean includeDeleted,
    int limit,
    String cursor) {

  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 1000;

  public CheckpointQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw ApiException.badRequest("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
    }
    if (minStep != null && maxStep != null && minStep > maxStep) {
      throw ApiException.badRequest(
          "minStep " + minStep + " is greater than maxStep " + maxStep + ": nothing can match");
    }
  }

  public static CheckpointQuery all() {
    return new CheckpointQuery(null, null, null, null, null, false, DEFAULT_LIMIT, null);
  }

  public CheckpointQuery withRun(String newRun) {
    return new CheckpointQuery(newRun, model, minStep, maxStep, tag, includeDeleted, limit, cursor);
  }

  public CheckpointQuery withLimit(int newLimit) {
    return new CheckpointQuery(run, model, minStep, maxStep, tag, includeDeleted, newLimit, cursor);
  }

  public CheckpointQuery withCursor(String newCursor) {
    return new CheckpointQuery(run, model, minStep, maxStep, tag, includeDeleted, limit, newCursor);
  }
}
