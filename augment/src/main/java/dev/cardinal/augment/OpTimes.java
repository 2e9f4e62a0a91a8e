package dev.cardinal.augment;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Nanoseconds spent per op across worker threads, for the time-share metrics. */
public final class OpTimes {
  private final ConcurrentHashMap<String, LongAdder> nanos = new ConcurrentHashMap<>();

  public void add(String op, long ns) {
    nanos.computeIfAbsent(op, k -> new LongAdder()).add(ns);
  }

  /** Each op's share of the time all ops took, 0..1, by op name. */
  public Map<String, Double> shares() {
    Map<String, Long> snapshot = new TreeMap<>();
    nanos.forEach((k, v) -> snapshot.put(k, v.sum()));
    long total = snapshot.values().stream().mapToLong(Long::longValue).sum();
    Map<String, Double> out = new TreeMap<>();
    snapshot.forEach((k, v) -> out.put(k, total == 0 ? 0 : (double) v / total));
    return out;
  }

  public long totalNanos() {
    return nanos.values().stream().mapToLong(LongAdder::sum).sum();
  }
}
