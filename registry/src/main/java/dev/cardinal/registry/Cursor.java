package dev.cardinal.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A position in a listing: the sort it belongs to and the last row of a page (its sort value and
 * the tie-breakers created time, step and run).
 */
record Cursor(
    String sort, boolean descending, String value, long createdAtMs, long step, String run) {
  String encode() {
    String raw =
        String.join(
            "|",
            sort,
            descending ? "d" : "a",
            value,
            Long.toString(createdAtMs),
            Long.toString(step),
            run);
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  long longValue() {
    return RequestParams.parseLong("cursor", value, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  double doubleValue() {
    return RequestParams.parseFiniteDouble("cursor", value);
  }

  static Cursor decode(String cursor) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      String[] parts = raw.split("\\|", 6);
      Cursor c =
          new Cursor(
              parts[0],
              parts[1].equals("d"),
              parts[2],
              RequestParams.parseLong("cursor", parts[3], Long.MIN_VALUE, Long.MAX_VALUE),
              RequestParams.parseLong("cursor", parts[4], 0, Long.MAX_VALUE),
              parts[5]);
      if (!CheckpointQuery.SORTS.contains(c.sort())) {
        throw new IllegalArgumentException("unknown sort");
      }
      // Parse the value now so a forged cursor is a 400 here, not a failure in the query.
      if (c.sort().equals("created") || c.sort().equals("step")) {
        c.longValue();
      } else {
        c.doubleValue();
      }
      return c;
    } catch (ApiException | IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
      throw ApiException.badRequest(
          "cursor '" + cursor + "' is not one this server handed out: pass nextCursor as given");
    }
  }
}
