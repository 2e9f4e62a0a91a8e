package dev.cardinal.core.event;

import dev.cardinal.core.wire.WireFormatException;

/**
 * One entry of {@code cardinal.annotations}: a user's alias or tag on a checkpoint, set or removed
 * through the registry, or retention's intent to delete a checkpoint (and its cancellation). Key on
 * Kafka: {@link #checkpointId()}. {@link AnnotationFold} gives the meaning of a sequence of them.
 *
 * @param kind what the entry is about
 * @param name the alias or tag; null for {@link Kind#DELETE_INTENT} and {@link
 *     Kind#DELETE_CANCELLED}
 * @param action set or remove the alias or tag; null for the deletion kinds
 * @param atMs when the writer produced it (informational: the log order is what counts)
 */
public record AnnotationEvent(
    int schemaVersion, String runId, long step, Kind kind, String name, Action action, long atMs) {

  public static final int SCHEMA_VERSION = 1;

  /** Longest alias or tag a reader accepts; the registry allows 64 characters. */
  public static final int MAX_NAME_LENGTH = 256;

  public enum Kind {
    ALIAS,
    TAG,
    DELETE_INTENT,
    DELETE_CANCELLED
  }

  public enum Action {
    SET,
    REMOVE
  }

  public static AnnotationEvent alias(String runId, long step, String alias, Action action) {
    return new AnnotationEvent(
        SCHEMA_VERSION, runId, step, Kind.ALIAS, alias, action, System.currentTimeMillis());
  }

  public static AnnotationEvent tag(String runId, long step, String tag, Action action) {
    return new AnnotationEvent(
        SCHEMA_VERSION, runId, step, Kind.TAG, tag, action, System.currentTimeMillis());
  }

  public static AnnotationEvent deleteIntent(String runId, long step) {
    return new AnnotationEvent(
        SCHEMA_VERSION, runId, step, Kind.DELETE_INTENT, null, null, System.currentTimeMillis());
  }

  public static AnnotationEvent deleteCancelled(String runId, long step) {
    return new AnnotationEvent(
        SCHEMA_VERSION, runId, step, Kind.DELETE_CANCELLED, null, null, System.currentTimeMillis());
  }

  public String checkpointId() {
    return CheckpointEvent.checkpointId(runId, step);
  }

  /**
   * Checks what a reader relies on, for an event read from the topic.
   *
   * @throws WireFormatException saying which field is wrong
   */
  public AnnotationEvent validate() {
    require(runId != null && !runId.isBlank(), "annotation has no runId");
    require(step >= 0, "annotation has a negative step " + step);
    require(kind != null, "annotation has no kind (ALIAS, TAG, DELETE_INTENT, DELETE_CANCELLED)");
    if (kind == Kind.ALIAS || kind == Kind.TAG) {
      require(
          name != null && !name.isBlank() && name.length() <= MAX_NAME_LENGTH,
          kind + " annotation needs a name of 1-" + MAX_NAME_LENGTH + " characters");
      require(action != null, kind + " annotation needs an action (SET or REMOVE)");
    }
    return this;
  }

  private static void require(boolean condition, String reason) {
    if (!condition) {
      throw new WireFormatException(reason);
    }
  }
}
