package dev.cardinal.registry;

import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.MetricEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recent metric values in memory, one ring buffer per (stage, run, metric), and the listeners
 * (browsers on the live stream) that get every new event. A new listener receives the history and
 * then every later event, with nothing lost or repeated between the two.
 */
public final class MetricHub {
  private static final Logger log = LoggerFactory.getLogger(MetricHub.class);

  /** Bounds memory when a misbehaving producer invents metric names. */
  static final int MAX_SERIES = 4096;

  private final int capacity;
  private final Map<SeriesKey, Ring> series = new LinkedHashMap<>();
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private boolean warnedFull;

  /**
   * @param capacity points kept per series; older ones are dropped
   */
  public MetricHub(int capacity) {
    this.capacity = capacity;
  }

  /** One series of the history: parallel arrays of steps, values and times, oldest first. */
  public record Series(
      String stage,
      String run,
      String metric,
      long[] steps,
      double[] values,
      long[] timestampsMs) {}

  private record SeriesKey(String stage, String run, String metric) {}

  /**
   * Records an event and hands its JSON to every listener. Listeners run under the hub's lock and
   * must only hand the JSON on (schedule a write), never block.
   */
  public void accept(MetricEvent event) {
    if (event.values() == null || event.values().isEmpty()) {
      return;
    }
    String json = Json.toString(event);
    synchronized (this) {
      for (Map.Entry<String, Double> value : event.values().entrySet()) {
        if (value.getValue() == null) {
          continue;
        }
        SeriesKey key = new SeriesKey(event.stage(), event.runId(), value.getKey());
        Ring ring = series.get(key);
        if (ring == null) {
          if (series.size() >= MAX_SERIES) {
            if (!warnedFull) {
              log.warn("More than {} metric series: new series are not kept", MAX_SERIES);
              warnedFull = true;
            }
            continue;
          }
          ring = new Ring(capacity);
          series.put(key, ring);
        }
        ring.add(event.step(), value.getValue(), event.timestampMs());
      }
      for (Consumer<String> listener : listeners) {
        listener.accept(json);
      }
    }
  }

  /**
   * Registers a listener and returns the history it must show first. Events accepted after the
   * snapshot go to the listener; none before.
   *
   * @return the history, and a handle that unregisters the listener when closed
   */
  public synchronized Subscription subscribe(Consumer<String> listener) {
    List<Series> history = historyUnlocked();
    listeners.add(listener);
    return new Subscription(history, () -> listeners.remove(listener));
  }

  /** What {@link #subscribe} returns. */
  public record Subscription(List<Series> history, Runnable cancel) implements AutoCloseable {
    @Override
    public void close() {
      cancel.run();
    }
  }

  public synchronized List<Series> history() {
    return historyUnlocked();
  }

  private List<Series> historyUnlocked() {
    List<Series> out = new ArrayList<>(series.size());
    for (Map.Entry<SeriesKey, Ring> e : series.entrySet()) {
      SeriesKey k = e.getKey();
      out.add(e.getValue().snapshot(k.stage(), k.run(), k.metric()));
    }
    return out;
  }

  /** The newest value of one metric in every (stage, run) series that has it. */
  public synchronized List<Latest> latest(String metric) {
    List<Latest> out = new ArrayList<>();
    for (Map.Entry<SeriesKey, Ring> e : series.entrySet()) {
      SeriesKey k = e.getKey();
      Ring ring = e.getValue();
      if (k.metric().equals(metric) && ring.size > 0) {
        int last = (ring.next - 1 + ring.steps.length) % ring.steps.length;
        out.add(new Latest(k.stage(), k.run(), ring.values[last], ring.times[last]));
      }
    }
    return out;
  }

  /** A series' newest value and when it was measured. */
  public record Latest(String stage, String run, double value, long timestampMs) {}

  public synchronized int seriesCount() {
    return series.size();
  }

  public int listenerCount() {
    return listeners.size();
  }

  /** Points allocated across every series' ring: what the buffers hold in memory, not the cap. */
  synchronized long allocatedPoints() {
    long total = 0;
    for (Ring ring : series.values()) {
      total += ring.allocated();
    }
    return total;
  }

  /**
   * The newest {@code capacity} points of one series. Storage starts small and doubles as points
   * arrive, so thousands of short series cost what they hold, not {@code capacity} each; only a
   * full ring wraps and drops its oldest point.
   */
  static final class Ring {
    static final int INITIAL_POINTS = 16;

    private final int capacity;
    private long[] steps;
    private double[] values;
    private long[] times;
    private int next;
    private int size;

    Ring(int capacity) {
      this.capacity = capacity;
      int initial = Math.min(INITIAL_POINTS, capacity);
      steps = new long[initial];
      values = new double[initial];
      times = new long[initial];
    }

    void add(long step, double value, long timeMs) {
      if (size == steps.length && steps.length < capacity) {
        // Not wrapped yet, so the points are in order from index 0: copying keeps that order.
        int grown = (int) Math.min(capacity, 2L * steps.length);
        steps = Arrays.copyOf(steps, grown);
        values = Arrays.copyOf(values, grown);
        times = Arrays.copyOf(times, grown);
        next = size;
      }
      steps[next] = step;
      values[next] = value;
      times[next] = timeMs;
      next = (next + 1) % steps.length;
      size = Math.min(size + 1, steps.length);
    }

    int allocated() {
      return steps.length;
    }

    Series snapshot(String stage, String run, String metric) {
      long[] s = new long[size];
      double[] v = new double[size];
      long[] t = new long[size];
      int start = (next - size + steps.length) % steps.length;
      for (int i = 0; i < size; i++) {
        int j = (start + i) % steps.length;
        s[i] = steps[j];
        v[i] = values[j];
        t[i] = times[j];
      }
      return new Series(stage, run, metric, s, v, t);
    }
  }
}
