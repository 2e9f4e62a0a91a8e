package dev.cardinal.registry;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.List;

/**
 * Filters and order of {@code GET /api/checkpoints}. Null fields do not filter. Copies with other
 * values come from the generated {@link CheckpointQueryBuilder.With} withers; each goes through the
 * validating constructor.
 *
 * <p>The score filters and a score sort look at a checkpoint's evaluations at {@code resolution}
 * and with {@code weights} (any when null); a checkpoint counts as its best matching evaluation.
 * Sorting by a score lists only checkpoints that have one.
 *
 * @param since only checkpoints created at or after this time (epoch ms)
 * @param until only checkpoints created before this time (epoch ms)
 * @param includeDeleted also list checkpoints that retention deleted from S3
 * @param sort {@code created} (default), {@code step}, {@code top1}, {@code top5} or {@code nll}
 * @param descending order; null picks the natural one (highest first, lowest nll first)
 * @param cursor opaque position returned as the previous page's next cursor
 */
@RecordBuilder
public record CheckpointQuery(
    String run,
    String model,
    Long minStep,
    Long maxStep,
    Long since,
    Long until,
    String tag,
    boolean includeDeleted,
    Integer resolution,
    String weights,
    Double minTop1,
    Double minTop5,
    Double maxNll,
    String sort,
    Boolean descending,
    int limit,
    String cursor)
    implements CheckpointQueryBuilder.With {

  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 1000;
  public static final List<String> SORTS = List.of("created", "step", "top1", "top5", "nll");

  public CheckpointQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw ApiException.badRequest("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
    }
    if (minStep != null && maxStep != null && minStep > maxStep) {
      throw ApiException.badRequest(
          "minStep " + minStep + " is greater than maxStep " + maxStep + ": nothing can match");
    }
    if (since != null && until != null && since > until) {
      throw ApiException.badRequest(
          "since " + since + " is after until " + until + ": nothing can match");
    }
    if (weights != null && !weights.equals("raw") && !weights.equals("ema")) {
      throw ApiException.badRequest("weights must be raw or ema, got '" + weights + "'");
    }
    sort = sort == null ? "created" : sort;
    if (!SORTS.contains(sort)) {
      throw ApiException.badRequest(
          "unknown sort '" + sort + "': use one of " + String.join(", ", SORTS));
    }
    descending = descending == null ? !sort.equals("nll") : descending;
    for (Double score : new Double[] {minTop1, minTop5, maxNll}) {
      if (score != null && !Double.isFinite(score)) {
        throw ApiException.badRequest("score thresholds must be finite numbers, got " + score);
      }
    }
  }

  /** Every live checkpoint, newest first, a page of the default size. */
  public static CheckpointQuery all() {
    return CheckpointQueryBuilder.builder().limit(DEFAULT_LIMIT).build();
  }

  /** True when the order is by an evaluation score rather than a checkpoint column. */
  public boolean sortsByScore() {
    return !sort.equals("created") && !sort.equals("step");
  }

  /** Scores: evaluations at a resolution and weights, a threshold on each score, and an order. */
  public CheckpointQuery withScores(
      Integer atResolution,
      String withWeights,
      Double top1AtLeast,
      Double top5AtLeast,
      Double nllAtMost,
      String sortBy,
      Boolean desc) {
    return with(
        q ->
            q.resolution(atResolution)
                .weights(withWeights)
                .minTop1(top1AtLeast)
                .minTop5(top5AtLeast)
                .maxNll(nllAtMost)
                .sort(sortBy)
                .descending(desc));
  }

  /** Only checkpoints created in {@code [from, to)} (epoch ms; null: unbounded). */
  public CheckpointQuery withTimeRange(Long from, Long to) {
    return with(q -> q.since(from).until(to));
  }
}
