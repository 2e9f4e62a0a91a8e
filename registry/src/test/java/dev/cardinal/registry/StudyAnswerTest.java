package dev.cardinal.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.Scores;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.core.event.TrainEvalGap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A study's answer from stored points and evaluations: best scores, gaps, fronts. */
class StudyAnswerTest {

  private static StudyAnswer.PointRow row(String id, long macs, long samples, Double rate) {
    return new StudyAnswer.PointRow(
        new SweepPoint(id, "s-" + id, "resnet20_cifar", "resnet", 1, null, 32, 1, macs, 1000),
        "done",
        samples,
        rate,
        null);
  }

  /** An evaluation as the store returns it, built from the event the evaluator sends. */
  private static StudyAnswer.Scored scored(EvaluationEvent e) {
    return new StudyAnswer.Scored(e.step(), new Views.Evaluation(e.evaluationId(), e.result()));
  }

  private static StudyAnswer.Scored eval(String run, long step, int res, String w, double top1) {
    return scored(Fixtures.evaluation(run, step, res, w, top1));
  }

  @Test
  void bestScoresFollowTheOneBestRuleAndEachResolutionKeepsItsBest() {
    String run = "s-a";
    List<StudyAnswer.Scored> evaluations =
        List.of(
            eval(run, 100, 32, "raw", 0.40),
            eval(run, 100, 32, "ema", 0.42),
            eval(run, 200, 32, "raw", 0.55),
            eval(run, 200, 40, "raw", 0.57),
            eval(run, 200, 32, "ema", 0.50),
            scored(Fixtures.failedEvaluation(run, 300, 32, "raw", "broken")));
    Views.SweepPointAnswer a =
        StudyAnswer.answer(
                List.of(row("a", 1000, 5000, 100.0)), Map.of(run, evaluations), Map.of(run, 20))
            .get(0);
    assertThat(a.bestTop1()).isEqualTo(new Views.BestTop1(0.57, 0.50));
    assertThat(a.best()).isEqualTo(new Views.ResolutionScore(40, "raw", 0.57, 200));
    assertThat(a.bestByResolution())
        .containsExactly(
            new Views.ResolutionScore(32, "ema", 0.50, 200),
            new Views.ResolutionScore(32, "raw", 0.55, 200),
            new Views.ResolutionScore(40, "raw", 0.57, 200));
    assertThat(a.checkpointsScored()).as("the failed step 300 is not scored").isEqualTo(2);
    assertThat(a.trainSeconds()).isEqualTo(50.0);
    assertThat(a.recommendation().rules()).contains(ScalingAdvice.RAISE_RESOLUTION);
  }

  @Test
  void paretoFrontsOfTop1AgainstMacsAndAgainstTrainingTime() {
    // a: cheap and weak; b: dearer and better; c: as dear as b and worse (dominated); d: unscored.
    List<StudyAnswer.PointRow> rows =
        List.of(
            row("a", 1000, 1000, 100.0),
            row("b", 2000, 1000, 1000.0),
            row("c", 2000, 1000, 10.0),
            row("d", 500, 0, null));
    Map<String, List<StudyAnswer.Scored>> evaluations =
        Map.of(
            "s-a", List.of(eval("s-a", 1, 32, "raw", 0.5)),
            "s-b", List.of(eval("s-b", 1, 32, "raw", 0.7)),
            "s-c", List.of(eval("s-c", 1, 32, "raw", 0.6)));
    List<Views.SweepPointAnswer> answers = StudyAnswer.answer(rows, evaluations, Map.of());
    assertThat(answers)
        .extracting(Views.SweepPointAnswer::paretoMacs)
        .containsExactly(true, true, false, null);
    // Times: a 10 s, b 1 s, c 100 s: b is fastest and best, alone on the front.
    assertThat(answers)
        .extracting(Views.SweepPointAnswer::paretoTime)
        .containsExactly(false, true, false, null);
    assertThat(answers.get(3).recommendation().rules()).containsExactly(ScalingAdvice.NO_EVIDENCE);
  }

  @Test
  void theGapHistoryReadsTheJudgedGapElseTheRawGapNearTheTrainResolution() {
    String run = "s-g";
    List<StudyAnswer.Scored> evaluations = new ArrayList<>();
    // Step 100: only measured gaps, at 28 and 36 px around the train resolution of 32 px.
    evaluations.add(scored(withGap(run, 100, 36, 0.30, 0.05)));
    evaluations.add(scored(withGap(run, 100, 28, 0.31, 0.04)));
    // Step 200: judged; its evidence holds the gap the verdict was judged on.
    evaluations.add(scored(Fixtures.detailedEvaluation(run, 200, 160, "raw", 0.6, 160)));
    List<Views.GapPoint> gaps = GapHistory.of(evaluations, 32);
    assertThat(gaps).hasSize(2);
    assertThat(gaps.get(0))
        .as("equally near: the smaller resolution")
        .isEqualTo(new Views.GapPoint(100, 0.04, 0.35, 0.31, 28, null));
    assertThat(gaps.get(1).gap()).isEqualTo(0.08);
    assertThat(gaps.get(1).verdict()).isEqualTo("over-fitting");
  }

  private static EvaluationEvent withGap(String run, long step, int res, double top1, double gap) {
    return EvaluationEvent.of(
        run,
        step,
        EvaluationResult.builder(new EvaluationPlan(res, "raw", 32, null, null))
            .scores(Scores.of(100, top1, 1, 1))
            .gap(new TrainEvalGap(top1 + gap, gap))
            .build());
  }

  @Test
  void depthOfASpecCountsTheLayersAsThePresetNamesDo() throws Exception {
    assertThat(
            StudyAnswer.depthOf(
                Json.MAPPER.readTree("{\"depths\": [3, 4, 6, 3], \"block\": \"BOTTLENECK\"}")))
        .isEqualTo(50);
    assertThat(
            StudyAnswer.depthOf(
                Json.MAPPER.readTree("{\"depths\": [3, 3, 3], \"block\": \"BASIC\"}")))
        .isEqualTo(20);
    assertThat(StudyAnswer.depthOf(Json.MAPPER.readTree("{\"preset\": \"resnet20_cifar\"}")))
        .isNull();
  }
}
