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
            .filter(
                e ->
                    e.result().regularization().evidence() != null
                        && e.result().regularization().evidence().get("gap") != null)
            .max(Views.Evaluation.LATEST_LAST)
            .orElse(null);
    if (latest == null) {
      return null;
    }
    Map<String, Double> evidence = latest.result().regularization().evidence();
    Double resolution = evidence.get("resolution");
    return new Views.GapPoint(
        step,
        evidence.get("gap"),
        evidence.get("trainTop1"),
        evidence.get("evalTop1"),
        resolution == null ? null : (int) Math.round(resolution),
        latest.result().regularization().verdict());
  }

  private static Views.GapPoint measured(
      long step, List<Views.Evaluation> evaluations, int trainResolution) {
    return evaluations.stream()
        .filter(
            e ->
                "raw".equals(e.result().plan().weights())
                    && e.result().gap().trainEvalGap() != null
                    && e.result().scores().top1() != null)
        .min(
            Comparator.comparingInt(
                    (Views.Evaluation e) ->
                        Math.abs(
                            e.result().plan().resolution()
                                - (e.result().plan().trainResolution() == null
                                    ? trainResolution
                                    : e.result().plan().trainResolution())))
                .thenComparingInt(e -> e.result().plan().resolution()))
        .map(
            e ->
                new Views.GapPoint(
                    step,
                    e.result().gap().trainEvalGap(),
                    e.result().gap().trainTop1(),
                    e.result().scores().top1(),
                    e.result().plan().resolution(),
                    e.result().regularization().verdict()))
        .orElse(null);
  }
}
