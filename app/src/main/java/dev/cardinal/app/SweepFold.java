package dev.cardinal.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepPoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sweep as its events on {@code cardinal.sweeps} say, in order: its points (a point id defined
 * again is ignored, so extending with a point the sweep has adds nothing), each point's latest
 * progress, and whether it was stopped. Not thread-safe: the runner folds under its own lock.
 */
final class SweepFold {
  private final String sweepId;
  private final Map<String, SweepPoint> points = new LinkedHashMap<>();
  private final Map<String, SweepEvent> progress = new HashMap<>();
  private long budgetSamples;
  private String dataset;
  private JsonNode training;
  private SweepEvent lastLifecycle;

  SweepFold(String sweepId) {
    this.sweepId = sweepId;
  }

  /** Every sweep in a list of events, in the order they were first defined. */
  static Map<String, SweepFold> foldAll(List<SweepEvent> events) {
    Map<String, SweepFold> sweeps = new LinkedHashMap<>();
    for (SweepEvent event : events) {
      if (event.sweepId() != null
          && (sweeps.containsKey(event.sweepId()) || SweepEvent.DEFINED.equals(event.kind()))) {
        sweeps.computeIfAbsent(event.sweepId(), SweepFold::new).apply(event);
      }
    }
    return sweeps;
  }

  /**
   * Folds one event of this sweep.
   *
   * @return the points it added (empty for other kinds, and for points the sweep already had)
   */
  List<SweepPoint> apply(SweepEvent event) {
    if (!sweepId.equals(event.sweepId())) {
      return List.of();
    }
    List<SweepPoint> added = new ArrayList<>();
    switch (event.kind()) {
      case SweepEvent.DEFINED -> {
        if (points.isEmpty()) {
          budgetSamples = event.budgetSamples() == null ? 0 : event.budgetSamples();
          dataset = event.dataset();
          training = event.training();
        }
        for (SweepPoint point : event.points() == null ? List.<SweepPoint>of() : event.points()) {
          if (points.putIfAbsent(point.pointId(), point) == null) {
            added.add(point);
          }
        }
      }
      case SweepEvent.PROGRESS -> {
        if (points.containsKey(event.pointId())) {
          progress.put(event.pointId(), event);
        }
      }
      case SweepEvent.STOP_REQUESTED, SweepEvent.STOPPED -> lastLifecycle = event;
      default -> {
        // A kind from a newer version: nothing this fold knows to do with it.
      }
    }
    return added;
  }

  String sweepId() {
    return sweepId;
  }

  List<SweepPoint> points() {
    return List.copyOf(points.values());
  }

  boolean has(String pointId) {
    return points.containsKey(pointId);
  }

  long budgetSamples() {
    return budgetSamples;
  }

  String dataset() {
    return dataset;
  }

  JsonNode training() {
    return training;
  }

  /** The point's latest progress event, or null before it started. */
  SweepEvent progress(String pointId) {
    return progress.get(pointId);
  }

  /** {@code pending} before a point started, else the state of its latest progress. */
  String state(String pointId) {
    SweepEvent latest = progress.get(pointId);
    return latest == null ? "pending" : latest.state();
  }

  boolean done(String pointId) {
    return SweepEvent.DONE.equals(state(pointId));
  }

  /** The points that have not trained their budget yet, in definition order. */
  List<SweepPoint> unfinished() {
    return points.values().stream().filter(p -> !done(p.pointId())).toList();
  }

  /** The sweep's state in a word: done, stopped, stop-requested or running. */
  String state() {
    if (!points.isEmpty() && unfinished().isEmpty()) {
      return SweepEvent.DONE;
    }
    return lastLifecycle == null ? SweepEvent.RUNNING : lastLifecycle.kind();
  }
}
