package dev.cardinal.augment.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time of this JVM's threads, summed by role (augment workers, broker, clients), so a benchmark
 * can say where the cores went during a measurement: whether the workers were starved or crowded
 * out. Threads that end between two snapshots are not counted.
 */
final class ThreadCpu {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private final Map<Long, Long> startNanos = new TreeMap<>();
  private long processStartNanos;
  private final Map<Long, String> names = new TreeMap<>();

  private ThreadCpu() {}

  static ThreadCpu start() {
    ThreadCpu cpu = new ThreadCpu();
    cpu.processStartNanos = OS.getProcessCpuTime();
    cpu.snapshot(cpu.startNanos);
    return cpu;
  }

  /**
   * CPU seconds per role since {@link #start()}; "GC, JIT, ended threads" is the process's CPU time
   * that no live Java thread accounts for.
   */
  Map<String, Double> secondsByRole() {
    long process = OS.getProcessCpuTime();
    Map<Long, Long> now = new TreeMap<>();
    snapshot(now);
    Map<String, Double> byRole = new TreeMap<>();
    now.forEach(
        (id, nanos) -> {
          double seconds = (nanos - startNanos.getOrDefault(id, 0L)) / 1e9;
          byRole.merge(role(names.get(id)), seconds, Double::sum);
        });
    double threads = byRole.values().stream().mapToDouble(Double::doubleValue).sum();
    byRole.put("GC, JIT, ended threads", (process - processStartNanos) / 1e9 - threads);
    return byRole;
  }

  private void snapshot(Map<Long, Long> into) {
    for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      long nanos = THREADS.getThreadCpuTime(info.getThreadId());
      if (nanos >= 0) {
        into.put(info.getThreadId(), nanos);
        names.put(info.getThreadId(), info.getThreadName());
      }
    }
  }

  static String role(String name) {
    if (name.startsWith("augment-") || name.startsWith("pool-")) {
      return "augment workers";
    }
    if (name.contains("producer-network-thread")) {
      return "producer client";
    }
    if (name.startsWith("kafka-receiver")) {
      return "consumer client";
    }
    if (name.contains("adminclient")) {
      return "admin client (lag)";
    }
    if (name.startsWith("data-plane")
        || name.startsWith("kafka-")
        || name.startsWith("quorum")
        || name.startsWith("raft")
        || name.startsWith("broker-")
        || name.startsWith("controller-")
        || name.startsWith("ExpirationReaper")
        || name.startsWith("group-coordinator")
        || name.startsWith("transaction")
        || name.startsWith("LogDirFailureHandler")) {
      return "broker";
    }
    return "other";
  }

  /** One line per role: CPU seconds and the share of the wall time of {@code cores} cores. */
  static void print(Map<String, Double> byRole, double wallSeconds, int cores) {
    byRole.forEach(
        (role, seconds) ->
            System.out.printf(
                Locale.ROOT,
                "  %-20s %7.2f cpu-s  %5.1f%% of %d cores%n",
                role,
                seconds,
                100 * seconds / (wallSeconds * cores),
                cores));
  }
}
