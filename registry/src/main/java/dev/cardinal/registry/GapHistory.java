package dev.cardinal.registry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The train-eval gap of each checkpoint of a run, from its stored evaluations. Where the evaluator
 * judged the checkpoint, the gap is the one it judged (in the verdict's evidence: raw weights at
 * the resolution nearest the train resolution), so the study and the verdict read the same number;
 * otherwise it is the raw weights' {@code trainEvalGap} nearest the train resolution.
 */
final class GapHistory {
  private GapHistory() {}

  /** One gap per checkpoint that has one, by step. */
  static List<Views.GapPoint> of(List<StudyAnswer.Scored> evaluations, int trainResolution) {
    Map<Long, List<Views.Evaluation>> bySteps = new TreeMap<>();
    for (StudyAnswer.Scored s : evaluations) {
      bySteps.computeIfAbsent(s.step(), k -> new ArrayList<>()).add(s.evaluation());
    }
    List<Views.GapPoint> out = new ArrayList<>();
    bySteps.forEach(
        (step, list) -> {
          Views.GapPoint gap = judged(step, list);
          if (gap == null) {
            gap = measured(step, list, trainResolution);
          }
          if (gap != null) {
            out.add(gap);
          }
        });
    return out;
  }

  private static Views.GapPoint judged(long step, List<Views.Evaluation> evaluations) {
    Views.Evaluation latest =
        evaluations.stream()
            .filter(e -> e.verdictEvidence() != null && e.verdictEvidence().get("gap") != null)
            .max(
                Comparator.comparingLong(Views.Evaluation::evaluatedAtMs)
                    .thenComparing(Views.Evaluation::id))
            .orElse(null);
    if (latest == null) {
      return null;
    }
    Map<String, Double> evidence = latest.verdictEvidence();
    Double resolution = evidence.get("resolution");
    return new Views.GapPoint(
        step,
        evidence.get("gap"),
        evidence.get("trainTop1"),
        evidence.get("evalTop1"),
        resolution == null ? null : (int) Math.round(resolution),
        latest.verdict());
  }

  private static Views.GapPoint measured(
      long step, List<Views.Evaluation> evaluations, int trainResolution) {
    return evaluations.stream()
        .filter(e -> "raw".equals(e.weights()) && e.trainEvalGap() != null && e.top1() != null)
        .min(
            Comparator.comparingInt(
                    (Views.Evaluation e) ->
                        Math.abs(
                            e.resolution()
                                - (e.trainResolution() == null
                                    ? trainResolution
                                    : e.trainResolution())))
                .thenComparingInt(Views.Evaluation::resolution))
        .map(
            e ->
                new Views.GapPoint(
                    step, e.trainEvalGap(), e.trainTop1(), e.top1(), e.resolution(), e.verdict()))
        .orElse(null);
  }
}
