package dev.cardinal.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.event.BestEvaluation;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.core.event.Verdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The answer of a study for each of its points, from the points' stored state and the evaluations
 * of their runs: best scores (by core's {@link BestEvaluation}, the one rule for "best"), the gap
 * history, the Pareto fronts and the recommendation ({@link ScalingAdvice}). Pure: the caller reads
 * the rows.
 */
final class StudyAnswer {
  /** A point as stored: its definition and its latest progress. */
  record PointRow(
      SweepPoint point,
      String state,
      long samplesTrained,
      Double trainImagesPerSecond,
      String message) {}

  /** A stored evaluation with the step of its checkpoint. */
  record Scored(long step, Views.Evaluation evaluation) {}

  private StudyAnswer() {}

  /**
   * @param evaluationsByRun every evaluation of each point's run
   * @param depthByRun the depth of each run's latest checkpoint's spec, for points that keep their
   *     preset's depth; a run without a checkpoint is absent
   */
  static List<Views.SweepPointAnswer> answer(
      List<PointRow> rows,
      Map<String, List<Scored>> evaluationsByRun,
      Map<String, Integer> depthByRun) {
    List<Facts> facts = new ArrayList<>();
    for (PointRow row : rows) {
      facts.add(
          facts(row, evaluationsByRun.getOrDefault(row.point().runId(), List.of()), depthByRun));
    }
    List<Facts> scored = facts.stream().filter(f -> f.best() != null).toList();
    List<Facts> timed = scored.stream().filter(f -> f.trainSeconds() != null).toList();
    List<Facts> macsFront = front(scored, f -> f.row().point().macs());
    List<Facts> timeFront = front(timed, Facts::trainSeconds);
    List<ScalingAdvice.Subject> subjects = facts.stream().map(Facts::subject).toList();
    List<Views.SweepPointAnswer> out = new ArrayList<>();
    for (int i = 0; i < facts.size(); i++) {
      Facts f = facts.get(i);
      SweepPoint p = f.row().point();
      Views.GapPoint lastGap =
          f.gapHistory().isEmpty() ? null : f.gapHistory().get(f.gapHistory().size() - 1);
      out.add(
          new Views.SweepPointAnswer(
              p,
              f.row().state(),
              f.row().samplesTrained(),
              f.row().trainImagesPerSecond(),
              f.trainSeconds(),
              f.row().message(),
              f.checkpointsScored(),
              f.bestTop1(),
              f.best(),
              f.bestByResolution(),
              f.verdict() == null ? null : f.verdict().verdict(),
              f.verdict() == null ? null : f.verdictStep(),
              f.verdict() == null ? null : f.verdict().reason(),
              lastGap == null ? null : lastGap.gap(),
              f.gapHistory(),
              f.best() == null ? null : macsFront.contains(f),
              f.best() == null || f.trainSeconds() == null ? null : timeFront.contains(f),
              ScalingAdvice.advise(subjects.get(i), subjects)));
    }
    return out;
  }

  /** What is known of one point before the sweep's fronts are drawn. */
  private record Facts(
      PointRow row,
      Double trainSeconds,
      int checkpointsScored,
      Views.BestTop1 bestTop1,
      Views.ResolutionScore best,
      List<Views.ResolutionScore> bestByResolution,
      Verdict verdict,
      Long verdictStep,
      List<Views.GapPoint> gapHistory,
      ScalingAdvice.Subject subject) {}

  private static Facts facts(
      PointRow row, List<Scored> evaluations, Map<String, Integer> depthByRun) {
    SweepPoint p = row.point();
    List<Scored> scored =
        evaluations.stream()
            .filter(
                s ->
                    s.evaluation().result().scores().top1() != null
                        && s.evaluation().result().error() == null)
            .sorted(Comparator.comparingLong(Scored::step))
            .toList();
    Views.ResolutionScore best = bestOf(scored).map(StudyAnswer::score).orElse(null);
    Map<String, List<Scored>> byResolution = new TreeMap<>();
    for (Scored s : scored) {
      byResolution
          .computeIfAbsent(
              String.format(
                  java.util.Locale.ROOT,
                  "%010d/%s",
                  s.evaluation().result().plan().resolution(),
                  s.evaluation().result().plan().weights()),
              k -> new ArrayList<>())
          .add(s);
    }
    List<Views.ResolutionScore> bestByResolution =
        byResolution.values().stream().map(l -> score(bestOf(l).orElseThrow())).toList();
    Views.BestTop1 bestTop1 =
        best == null ? null : new Views.BestTop1(bestTop1(scored, "raw"), bestTop1(scored, "ema"));
    long latestStep = scored.isEmpty() ? -1 : scored.get(scored.size() - 1).step();
    List<Views.ResolutionScore> latest =
        scored.stream().filter(s -> s.step() == latestStep).map(StudyAnswer::score).toList();
    int checkpoints = (int) scored.stream().mapToLong(Scored::step).distinct().count();
    Scored judged =
        evaluations.stream()
            .filter(s -> s.evaluation().result().regularization().verdict() != null)
            .max(
                Comparator.comparingLong(Scored::step)
                    .thenComparingLong(s -> s.evaluation().result().evaluatedAtMs()))
            .orElse(null);
    List<Views.GapPoint> gaps = GapHistory.of(evaluations, p.trainResolution());
    Double rate = row.trainImagesPerSecond();
    Double seconds = rate == null || rate <= 0 ? null : row.samplesTrained() / rate;
    Integer depth = p.depth() != null ? p.depth() : depthByRun.get(p.runId());
    ScalingAdvice.Subject subject =
        new ScalingAdvice.Subject(
            p.pointId(),
            p.preset(),
            p.widthMultiplier(),
            depth,
            p.trainResolution(),
            best == null ? null : best.top1(),
            checkpoints,
            gaps,
            latest);
    return new Facts(
        row,
        seconds,
        checkpoints,
        bestTop1,
        best,
        bestByResolution,
        judged == null ? null : judged.evaluation().result().regularization(),
        judged == null ? null : judged.step(),
        gaps,
        subject);
  }

  private static Optional<Scored> bestOf(List<Scored> scored) {
    return BestEvaluation.among(
        scored,
        s ->
            new BestEvaluation.Score(
                s.evaluation().result().scores().top1(),
                s.evaluation().result().scores().nll(),
                s.evaluation().result().plan().resolution(),
                s.evaluation().result().plan().weights(),
                s.step()));
  }

  private static Double bestTop1(List<Scored> scored, String weights) {
    return bestOf(
            scored.stream()
                .filter(s -> weights.equals(s.evaluation().result().plan().weights()))
                .toList())
        .map(s -> s.evaluation().result().scores().top1())
        .orElse(null);
  }

  private static Views.ResolutionScore score(Scored s) {
    return new Views.ResolutionScore(
        s.evaluation().result().plan().resolution(),
        s.evaluation().result().plan().weights(),
        s.evaluation().result().scores().top1(),
        s.step());
  }

  /**
   * The points no other point dominates: none reaches at least their best top-1 for at most their
   * cost while being strictly better in one of the two.
   */
  private static List<Facts> front(List<Facts> points, ToDoubleFunction<Facts> cost) {
    return ParetoFront.of(points, cost, f -> f.best().top1());
  }

  /**
   * The depth of a network from its spec as checkpoints carry it: two layers per basic block, three
   * per bottleneck, plus the stem and the classifier (resnet50: 16 bottlenecks, 50). Null when the
   * spec does not say.
   */
  static Integer depthOf(JsonNode spec) {
    if (spec == null || !spec.path("depths").isArray() || !spec.path("block").isTextual()) {
      return null;
    }
    int blocks = 0;
    for (JsonNode d : spec.get("depths")) {
      if (!d.canConvertToInt()) {
        return null;
      }
      blocks += d.asInt();
    }
    int perBlock =
        switch (spec.get("block").asText()) {
          case "BASIC" -> 2;
          case "BOTTLENECK" -> 3;
          default -> 0;
        };
    return perBlock == 0 ? null : blocks * perBlock + 2;
  }
}
