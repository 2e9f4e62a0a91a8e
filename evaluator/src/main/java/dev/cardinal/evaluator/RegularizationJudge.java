package dev.cardinal.evaluator;

import dev.cardinal.core.event.Verdict;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The regularization verdict of Revisiting ResNets (Bello et al. 2021) for a run at one checkpoint,
 * from its train–eval gap ({@code train top-1 − eval top-1}, both at the train resolution and raw
 * weights) and the gaps of its earlier checkpoints:
 *
 * <ul>
 *   <li><b>over-fitting</b> when the gap is at least {@link Verdict#SMALL_GAP} and has widened by
 *       at least {@link Verdict#WIDENING} across the last {@link #WINDOW} earlier checkpoints
 *       without shrinking since the latest one: raise regularization, and scale depth rather than
 *       width (the safer direction in long regimes where over-fitting can occur);
 *   <li><b>under-fitting</b> when train and eval top-1 are both low (below chance plus {@link
 *       #LOW_SHARE} of the way to 1) and within {@link #CLOSE} of each other: lower regularization,
 *       and scale width rather than depth in short regimes;
 *   <li><b>balanced</b> otherwise.
 * </ul>
 *
 * Gaps of a run are kept per step in memory; instances of one consumer group see each other's
 * checkpoints through the evaluation events they all read back ({@link #record}).
 */
final class RegularizationJudge {
  static final double CLOSE = 0.03;
  static final double LOW_SHARE = 0.6;
  static final int WINDOW = 3;

  private final Map<String, NavigableMap<Long, Double>> gapsByRun = new HashMap<>();

  /** Remembers a checkpoint's gap (from this instance or read back from another's events). */
  synchronized void record(String runId, long step, double gap) {
    if (!Double.isNaN(gap)) {
      gapsByRun.computeIfAbsent(runId, r -> new TreeMap<>()).put(step, gap);
    }
  }

  /** Judges a checkpoint and records its gap. */
  synchronized Verdict judge(
      String runId, long step, double trainTop1, double evalTop1, int resolution, int classes) {
    if (Double.isNaN(trainTop1) || Double.isNaN(evalTop1)) {
      return new Verdict(
          Verdict.UNKNOWN,
          "unknown: the checkpoint event carries no train_top1 (or the raw weights could not be"
              + " scored), so there is no train-eval gap to judge",
          Map.of());
    }
    double gap = trainTop1 - evalTop1;
    NavigableMap<Long, Double> history =
        gapsByRun.getOrDefault(runId, new TreeMap<>()).headMap(step, false);
    List<Double> previous = new ArrayList<>(history.descendingMap().values());
    previous = previous.subList(0, Math.min(WINDOW, previous.size()));
    double chance = 1.0 / Math.max(1, classes);
    double low = chance + LOW_SHARE * (1 - chance);

    Map<String, Double> evidence = new LinkedHashMap<>();
    evidence.put("gap", gap);
    evidence.put("trainTop1", trainTop1);
    evidence.put("evalTop1", evalTop1);
    evidence.put("resolution", (double) resolution);
    evidence.put("previousCheckpoints", (double) previous.size());
    evidence.put("wideningThreshold", Verdict.WIDENING);
    evidence.put("minGap", Verdict.SMALL_GAP);
    evidence.put("closeThreshold", CLOSE);
    evidence.put("lowThreshold", low);

    String verdict;
    String reason;
    if (!previous.isEmpty()) {
      double latest = previous.get(0);
      double oldest = previous.get(previous.size() - 1);
      evidence.put("previousGap", latest);
      evidence.put("windowStartGap", oldest);
      evidence.put("gapChange", gap - oldest);
    }
    boolean widening =
        !previous.isEmpty()
            && gap >= Verdict.SMALL_GAP
            && gap - previous.get(previous.size() - 1) >= Verdict.WIDENING
            && gap >= previous.get(0);
    boolean underfit = trainTop1 < low && evalTop1 < low && Math.abs(gap) <= CLOSE;
    if (widening) {
      verdict = Verdict.OVER_FITTING;
      reason =
          f(
              "over-fitting: the train-eval gap widened from %.3f to %.3f over the last %d"
                  + " checkpoint(s) (train top-1 %.3f, eval top-1 %.3f at %d px); raise"
                  + " regularization (RandAugment, dropout, stochastic depth, label smoothing) and"
                  + " scale depth rather than width, the safer direction when over-fitting can"
                  + " occur",
              previous.get(previous.size() - 1),
              gap,
              previous.size(),
              trainTop1,
              evalTop1,
              resolution);
    } else if (underfit) {
      verdict = Verdict.UNDER_FITTING;
      reason =
          f(
              "under-fitting: train top-1 %.3f and eval top-1 %.3f at %d px are both below %.3f and"
                  + " within %.3f of each other; lower regularization, and in a short regime scale"
                  + " width rather than depth",
              trainTop1, evalTop1, resolution, low, Math.abs(gap));
    } else {
      verdict = Verdict.BALANCED;
      reason =
          previous.isEmpty()
              ? f(
                  "balanced: train-eval gap %.3f (train top-1 %.3f, eval top-1 %.3f at %d px); no"
                      + " earlier checkpoint yet to tell whether it widens",
                  gap, trainTop1, evalTop1, resolution)
              : f(
                  "balanced: train-eval gap %.3f (train top-1 %.3f, eval top-1 %.3f at %d px), %.3f"
                      + " %d checkpoint(s) earlier: not widening by %.2f",
                  gap,
                  trainTop1,
                  evalTop1,
                  resolution,
                  previous.get(previous.size() - 1),
                  previous.size(),
                  Verdict.WIDENING);
    }
    record(runId, step, gap);
    return new Verdict(verdict, reason, evidence);
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
