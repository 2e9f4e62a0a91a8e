package dev.cardinal.ingest;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * An endless source: images that keep arriving (a watched folder). Each image is ingested once, to
 * the train or the eval split, in the order it arrived.
 */
public non-sealed interface ImageStream extends DataSource {
  /**
   * Images that arrived since the last call, waiting up to {@code timeout} while there are none.
   *
   * @param alreadyIngested keys ingested by an earlier run; the stream skips them
   */
  List<Arrival> poll(Duration timeout, Predicate<String> alreadyIngested)
      throws InterruptedException;

  /**
   * One arrived item: an image, or a file that could not be read ({@code image} null).
   *
   * @param key stable name of the item (path relative to the watched folder)
   */
  record Arrival(String key, boolean eval, LabelledImage image, String badReason) {
    public static Arrival image(String key, boolean eval, LabelledImage image) {
      return new Arrival(key, eval, image, null);
    }

    public static Arrival bad(String key, String reason) {
      return new Arrival(key, false, null, reason);
    }
  }
}
