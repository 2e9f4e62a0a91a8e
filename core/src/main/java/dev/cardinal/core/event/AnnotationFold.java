package dev.cardinal.core.event;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The meaning of {@code cardinal.annotations} read in order: which aliases and tags hold which
 * checkpoints, and which checkpoints retention is deleting. The registry and the trainer fold the
 * same log with this one class, so they agree on every race without talking to each other:
 *
 * <ul>
 *   <li>a SET of an alias or tag on a checkpoint that has a DELETE_INTENT with no DELETE_CANCELLED
 *       after it is refused: retention announced first and wins;
 *   <li>a DELETE_INTENT for a checkpoint an alias or tag holds is refused: the user was first.
 * </ul>
 *
 * An alias names one checkpoint of its run, so setting it elsewhere moves it; a REMOVE of an alias
 * only removes it from the step it names, so a stale REMOVE cannot undo a later move. Not
 * thread-safe.
 */
public final class AnnotationFold {
  /** run → alias → step. */
  private final Map<String, Map<String, Long>> aliases = new HashMap<>();

  /** checkpoint id → tags. */
  private final Map<String, Set<String>> tags = new HashMap<>();

  /** Checkpoint ids with a DELETE_INTENT that was accepted and not cancelled. */
  private final Set<String> deleting = new HashSet<>();

  /**
   * Applies the next event of the log.
   *
   * @return false when the event is refused (see the class comment) and changes nothing
   */
  public boolean apply(AnnotationEvent e) {
    String id = e.checkpointId();
    switch (e.kind()) {
      case ALIAS -> {
        if (e.action() == AnnotationEvent.Action.SET) {
          if (deleting.contains(id)) {
            return false;
          }
          aliases.computeIfAbsent(e.runId(), r -> new HashMap<>()).put(e.name(), e.step());
        } else {
          Map<String, Long> ofRun = aliases.get(e.runId());
          if (ofRun != null && Long.valueOf(e.step()).equals(ofRun.get(e.name()))) {
            ofRun.remove(e.name());
          }
        }
      }
      case TAG -> {
        if (e.action() == AnnotationEvent.Action.SET) {
          if (deleting.contains(id)) {
            return false;
          }
          tags.computeIfAbsent(id, k -> new HashSet<>()).add(e.name());
        } else {
          Set<String> of = tags.get(id);
          if (of != null) {
            of.remove(e.name());
            if (of.isEmpty()) {
              tags.remove(id);
            }
          }
        }
      }
      case DELETE_INTENT -> {
        if (held(e.runId(), e.step())) {
          return false;
        }
        deleting.add(id);
      }
      case DELETE_CANCELLED -> deleting.remove(id);
    }
    return true;
  }

  /** True when an alias or tag keeps the checkpoint from retention. */
  public boolean held(String runId, long step) {
    if (tags.containsKey(CheckpointEvent.checkpointId(runId, step))) {
      return true;
    }
    Map<String, Long> ofRun = aliases.get(runId);
    return ofRun != null && ofRun.containsValue(step);
  }

  /** True when retention announced the deletion of the checkpoint and did not cancel it. */
  public boolean deleting(String runId, long step) {
    return deleting.contains(CheckpointEvent.checkpointId(runId, step));
  }

  /** The step an alias of a run names now. */
  public OptionalLong alias(String runId, String alias) {
    Map<String, Long> ofRun = aliases.get(runId);
    Long step = ofRun == null ? null : ofRun.get(alias);
    return step == null ? OptionalLong.empty() : OptionalLong.of(step);
  }

  public boolean hasTag(String runId, long step, String tag) {
    Set<String> of = tags.get(CheckpointEvent.checkpointId(runId, step));
    return of != null && of.contains(tag);
  }
}
