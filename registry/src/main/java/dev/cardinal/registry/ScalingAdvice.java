package dev.cardinal.registry;

import dev.cardinal.core.event.Verdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What to scale next for one point of a study, by the rules of Revisiting ResNets (Bello et al.
 * 2021), read off the point's measured train-eval gaps and scores:
 *
 * <ul>
 *   <li><b>over-fitting</b>: over the last {@value #TREND_CHECKPOINTS} checkpoints the gap widened
 *       by at least {@value Verdict#WIDENING} (to at least {@value Verdict#SMALL_GAP}), or it is at
 *       least {@value #LARGE_GAP} and not shrinking. Depth is what over-fits in long regimes: scale
 *       depth no further and add regularization.
 *   <li><b>under-fitting in a short regime</b>: the gap is within {@value Verdict#SMALL_GAP} and
 *       eval top-1 rose by at least {@value #IMPROVING} over those checkpoints, still rising at the
 *       last: the budget ends before the model is fitted, where width pays before depth.
 *   <li><b>raise resolution</b>: at the latest scored checkpoint a weight set scores at least
 *       {@value #RESOLUTION_MARGIN} higher at a resolution above the train resolution than at it:
 *       raise resolution one step (the paper raises it more slowly than depth or width).
 * </ul>
 *
 * With fewer than {@value #TREND_CHECKPOINTS} gaps no regime is claimed. Every recommendation lists
 * the steps, gaps and scores it rests on. Other points of the sweep are cited (deeper or wider
 * siblings of the same preset and their best top-1), never used to decide.
 */
final class ScalingAdvice {
  static final int TREND_CHECKPOINTS = 3;
  static final double LARGE_GAP = 0.05;
  static final double IMPROVING = 0.01;
  static final double RESOLUTION_MARGIN = 0.005;

  static final String NO_EVIDENCE = "no-evidence";
  static final String NOT_ENOUGH = "not-enough-evidence";
  static final String RAISE_RESOLUTION = "raise-resolution";

  /**
   * What the rules look at in a point.
   *
   * @param depth the network's depth when known (the point's knob, else its preset's), or null
   * @param bestTop1 the point's best top-1, or null when never scored
   * @param checkpointsScored checkpoints of the point's run with at least one top-1
   * @param gaps the train-eval gap of each checkpoint that has one, any order
   * @param latestScores every scored evaluation of the point's latest scored checkpoint
   */
  record Subject(
      String pointId,
      String preset,
      double widthMultiplier,
      Integer depth,
      int trainResolution,
      Double bestTop1,
      int checkpointsScored,
      List<Views.GapPoint> gaps,
      List<Views.ResolutionScore> latestScores) {}

  private ScalingAdvice() {}

  /** The recommendation for {@code point}; {@code sweep} is every point of its sweep. */
  static Views.Recommendation advise(Subject point, List<Subject> sweep) {
    List<String> rules = new ArrayList<>();
    List<String> evidence = new ArrayList<>();
    List<Views.GapPoint> gaps =
        point.gaps().stream().sorted(Comparator.comparingLong(Views.GapPoint::step)).toList();
    String advice = regime(point, gaps, sweep, rules, evidence);
    Optional<String> resolution = resolution(point, evidence);
    if (resolution.isPresent()) {
      rules.add(RAISE_RESOLUTION);
      advice = advice == null ? resolution.get() : advice + "; " + resolution.get();
    }
    if (advice == null) {
      rules.add(NO_EVIDENCE);
      advice = "no checkpoint scored yet: nothing to recommend";
      evidence.add("no checkpoint of point " + point.pointId() + " has been scored");
    }
    return new Views.Recommendation(List.copyOf(rules), advice, List.copyOf(evidence));
  }

  /** The regime rules; null when there is no gap at all (nothing to say about the regime). */
  private static String regime(
      Subject point,
      List<Views.GapPoint> gaps,
      List<Subject> sweep,
      List<String> rules,
      List<String> evidence) {
    if (gaps.isEmpty()) {
      if (point.checkpointsScored() == 0) {
        return null;
      }
      rules.add(NOT_ENOUGH);
      evidence.add(
          point.checkpointsScored()
              + " checkpoint(s) scored, none with a train-eval gap (no train top-1 reported)");
      return "not enough evidence for a regime: no train-eval gap measured; needs "
          + TREND_CHECKPOINTS
          + " to see a trend";
    }
    if (gaps.size() < TREND_CHECKPOINTS) {
      rules.add(NOT_ENOUGH);
      evidence.add("train-eval gap " + gapSeries(gaps));
      return String.format(
          Locale.ROOT,
          "not enough evidence for a regime: %d checkpoint%s scored with a train-eval gap; needs"
              + " %d to see a trend",
          gaps.size(),
          gaps.size() == 1 ? "" : "s",
          TREND_CHECKPOINTS);
    }
    List<Views.GapPoint> window = gaps.subList(gaps.size() - TREND_CHECKPOINTS, gaps.size());
    Views.GapPoint first = window.get(0);
    Views.GapPoint previous = window.get(window.size() - 2);
    Views.GapPoint last = window.get(window.size() - 1);
    double widened = last.gap() - first.gap();
    boolean growing = widened >= Verdict.WIDENING && last.gap() >= Verdict.SMALL_GAP;
    boolean large = last.gap() >= LARGE_GAP && last.gap() >= previous.gap();
    evidence.add("train-eval gap " + gapSeries(window));
    if (last.verdict() != null) {
      evidence.add("the evaluator's verdict at step " + last.step() + ": " + last.verdict());
    }
    if (growing || large) {
      rules.add(Verdict.OVER_FITTING);
      evidence.add(
          growing
              ? f(
                  "the gap widened by %.3f over %d checkpoints (rule: %.2f or more)",
                  widened, window.size(), Verdict.WIDENING)
              : f("the gap is %.3f, at least %.2f, and not shrinking", last.gap(), LARGE_GAP));
      siblings(point, sweep, s -> deeper(point, s), "deeper", evidence);
      return "over-fitting at "
          + (point.depth() == null ? "the depth of " + point.preset() : "depth " + point.depth())
          + ": scale depth no further, add regularization";
    }
    Double risen = evalRise(window);
    boolean improving =
        risen != null && risen >= IMPROVING && last.evalTop1() > previous.evalTop1();
    if (risen != null) {
      evidence.add("eval top-1 " + evalSeries(window));
    }
    if (Math.abs(last.gap()) <= Verdict.SMALL_GAP && improving) {
      rules.add(Verdict.UNDER_FITTING);
      evidence.add(
          f(
              "gap within %.2f and eval top-1 still rising (+%.3f over %d checkpoints, rule: %.2f"
                  + " or more)",
              Verdict.SMALL_GAP, risen, window.size(), IMPROVING));
      siblings(point, sweep, s -> wider(point, s), "wider", evidence);
      return "short regime, under-fitting: widen before deepening";
    }
    rules.add(Verdict.BALANCED);
    return f(
        "no scaling change indicated: gap %.3f is neither widening by %.2f nor %.2f or more, and"
            + " not both within %.2f and still rising",
        last.gap(), Verdict.WIDENING, LARGE_GAP, Verdict.SMALL_GAP);
  }

  /** Eval top-1 change over the window, or null when a checkpoint of it lacks one. */
  private static Double evalRise(List<Views.GapPoint> window) {
    if (window.stream().anyMatch(g -> g.evalTop1() == null)) {
      return null;
    }
    return window.get(window.size() - 1).evalTop1() - window.get(0).evalTop1();
  }

  /**
   * Whether a weight set scored better above the train resolution than at it, at the latest scored
   * checkpoint; the advice names the next evaluated resolution up.
   */
  private static Optional<String> resolution(Subject point, List<String> evidence) {
    int train = point.trainResolution();
    Views.ResolutionScore bestGain = null;
    Views.ResolutionScore atTrainOfBest = null;
    for (Views.ResolutionScore atTrain : point.latestScores()) {
      if (atTrain.resolution() != train) {
        continue;
      }
      for (Views.ResolutionScore higher : point.latestScores()) {
        if (higher.resolution() > train
            && higher.weights().equals(atTrain.weights())
            && higher.top1() - atTrain.top1() >= RESOLUTION_MARGIN
            && (bestGain == null
                || higher.top1() - atTrain.top1() > bestGain.top1() - atTrainOfBest.top1())) {
          bestGain = higher;
          atTrainOfBest = atTrain;
        }
      }
    }
    if (bestGain == null) {
      return Optional.empty();
    }
    int next =
        point.latestScores().stream()
            .mapToInt(Views.ResolutionScore::resolution)
            .filter(r -> r > train)
            .min()
            .orElseThrow();
    evidence.add(
        f(
            "step %d, %s weights: top-1 %.3f at %d px vs %.3f at %d px, the train resolution"
                + " (rule: %.3f or more higher)",
            bestGain.step(),
            bestGain.weights(),
            bestGain.top1(),
            bestGain.resolution(),
            atTrainOfBest.top1(),
            train,
            RESOLUTION_MARGIN));
    return Optional.of(f("raise resolution one step: %d → %d px", train, next));
  }

  private static boolean deeper(Subject point, Subject other) {
    return point.depth() != null && other.depth() != null && other.depth() > point.depth();
  }

  private static boolean wider(Subject point, Subject other) {
    return other.widthMultiplier() > point.widthMultiplier()
        && Objects.equals(other.depth(), point.depth());
  }

  /** Cites the sweep's points of the same preset that are deeper or wider, with their scores. */
  private static void siblings(
      Subject point,
      List<Subject> sweep,
      java.util.function.Predicate<Subject> relation,
      String what,
      List<String> evidence) {
    for (Subject other : sweep) {
      if (other.pointId().equals(point.pointId())
          || !other.preset().equals(point.preset())
          || !relation.test(other)) {
        continue;
      }
      evidence.add(
          "this sweep's "
              + what
              + " point "
              + other.pointId()
              + " (depth "
              + (other.depth() == null ? "of " + other.preset() : other.depth())
              + f(", width ×%s", trim(other.widthMultiplier()))
              + (other.bestTop1() == null
                  ? "): not scored yet"
                  : f("): best top-1 %.3f", other.bestTop1())
                      + (point.bestTop1() == null ? "" : f(" vs %.3f here", point.bestTop1()))));
    }
  }

  private static String gapSeries(List<Views.GapPoint> gaps) {
    StringBuilder s = new StringBuilder("at step");
    s.append(gaps.size() == 1 ? " " : "s ");
    s.append(String.join(", ", gaps.stream().map(g -> Long.toString(g.step())).toList()));
    s.append(": ");
    s.append(String.join(" → ", gaps.stream().map(g -> f("%.3f", g.gap())).toList()));
    return s.toString();
  }

  private static String evalSeries(List<Views.GapPoint> gaps) {
    Views.GapPoint last = gaps.get(gaps.size() - 1);
    return "at the same steps"
        + (last.resolution() == null ? "" : " (" + last.resolution() + " px, raw weights)")
        + ": "
        + String.join(" → ", gaps.stream().map(g -> f("%.3f", g.evalTop1())).toList());
  }

  private static String trim(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
