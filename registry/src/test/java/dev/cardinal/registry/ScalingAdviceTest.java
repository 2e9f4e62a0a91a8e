package dev.cardinal.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.event.Verdict;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The recommendation rules against hand-made gap histories and scores. */
class ScalingAdviceTest {

  /** A gap history, one checkpoint a row: "step train-eval-gap eval-top-1". */
  private static List<Views.GapPoint> gaps(String... rows) {
    List<Views.GapPoint> out = new ArrayList<>();
    for (String row : rows) {
      String[] p = row.split(" ");
      double gap = Double.parseDouble(p[1]);
      double top1 = Double.parseDouble(p[2]);
      out.add(new Views.GapPoint(Long.parseLong(p[0]), gap, top1 + gap, top1, 32, null));
    }
    return out;
  }

  private static ScalingAdvice.Subject point(
      String id, Integer depth, double width, List<Views.GapPoint> gaps) {
    return point(id, depth, width, gaps, List.of(), 0.5);
  }

  private static ScalingAdvice.Subject point(
      String id,
      Integer depth,
      double width,
      List<Views.GapPoint> gaps,
      List<Views.ResolutionScore> latest,
      Double best) {
    return new ScalingAdvice.Subject(
        id,
        "resnet20_cifar",
        width,
        depth,
        32,
        best,
        Math.max(gaps.size(), latest.isEmpty() ? 0 : 1),
        gaps,
        latest);
  }

  private static Views.Recommendation advise(ScalingAdvice.Subject p) {
    return ScalingAdvice.advise(p, List.of(p));
  }

  @Test
  void aWideningGapIsOverFittingAtThePointsDepthAndNamesTheSteps() {
    ScalingAdvice.Subject p =
        point(
            "d56",
            56,
            1,
            gaps("100 0.00 0.40", "200 0.01 0.50", "300 0.025 0.55", "400 0.045 0.56"));
    Views.Recommendation r = advise(p);
    assertThat(r.rules()).containsExactly(Verdict.OVER_FITTING);
    assertThat(r.advice())
        .isEqualTo("over-fitting at depth 56: scale depth no further, add regularization");
    assertThat(r.evidence())
        .as("the last three checkpoints and their gaps, and by how much it widened")
        .contains("train-eval gap at steps 200, 300, 400: 0.010 → 0.025 → 0.045")
        .anyMatch(e -> e.startsWith("the gap widened by 0.035 over 3 checkpoints"));
  }

  @Test
  void aLargeGapThatIsNotShrinkingIsOverFittingToo() {
    ScalingAdvice.Subject p =
        point("p", null, 1, gaps("1 0.060 0.7", "2 0.061 0.7", "3 0.062 0.7"));
    Views.Recommendation r = advise(p);
    assertThat(r.rules()).containsExactly(Verdict.OVER_FITTING);
    assertThat(r.advice()).startsWith("over-fitting at the depth of resnet20_cifar");
    assertThat(r.evidence()).anyMatch(e -> e.contains("0.062, at least 0.05, and not shrinking"));

    ScalingAdvice.Subject shrinking =
        point("p", null, 1, gaps("1 0.090 0.7", "2 0.080 0.7", "3 0.070 0.7"));
    assertThat(advise(shrinking).rules())
        .as("a large gap that regularization is closing is not called over-fitting")
        .containsExactly(Verdict.BALANCED);
  }

  @Test
  void aSmallGapWhileEvalTop1StillRisesIsAShortRegimeThatWantsWidth() {
    ScalingAdvice.Subject p =
        point("w1", 20, 1, gaps("100 0.010 0.30", "200 0.005 0.36", "300 0.008 0.41"));
    ScalingAdvice.Subject wider = point("w2", 20, 2, List.of(), List.of(), 0.47);
    Views.Recommendation r = ScalingAdvice.advise(p, List.of(p, wider));
    assertThat(r.rules()).containsExactly(Verdict.UNDER_FITTING);
    assertThat(r.advice()).isEqualTo("short regime, under-fitting: widen before deepening");
    assertThat(r.evidence())
        .contains("eval top-1 at the same steps (32 px, raw weights): 0.300 → 0.360 → 0.410")
        .anyMatch(e -> e.contains("+0.110 over 3 checkpoints"))
        .as("the sweep's wider point is cited, not used to decide")
        .anyMatch(
            e -> e.contains("wider point w2 (depth 20, width ×2): best top-1 0.470 vs 0.500"));
  }

  @Test
  void aSmallGapWithEvalTop1FlatIsNoReasonToScale() {
    ScalingAdvice.Subject p =
        point("flat", 20, 1, gaps("100 0.010 0.50", "200 0.005 0.502", "300 0.008 0.503"));
    Views.Recommendation r = advise(p);
    assertThat(r.rules()).containsExactly(Verdict.BALANCED);
    assertThat(r.advice()).startsWith("no scaling change indicated: gap 0.008");
  }

  @Test
  void twoCheckpointsAreNotEnoughForATrendAndTheAdviceSaysSo() {
    ScalingAdvice.Subject p = point("early", 20, 1, gaps("100 0.00 0.3", "200 0.09 0.3"));
    Views.Recommendation r = advise(p);
    assertThat(r.rules()).containsExactly(ScalingAdvice.NOT_ENOUGH);
    assertThat(r.advice())
        .isEqualTo(
            "not enough evidence for a regime: 2 checkpoints scored with a train-eval gap;"
                + " needs 3 to see a trend");
    assertThat(r.evidence()).containsExactly("train-eval gap at steps 100, 200: 0.000 → 0.090");
  }

  @Test
  void nothingScoredNothingRecommended() {
    Views.Recommendation r = advise(point("new", 20, 1, List.of(), List.of(), null));
    assertThat(r.rules()).containsExactly(ScalingAdvice.NO_EVIDENCE);
    assertThat(r.advice()).isEqualTo("no checkpoint scored yet: nothing to recommend");
  }

  @Test
  void aBetterScoreAboveTheTrainResolutionRaisesItOneStep() {
    List<Views.ResolutionScore> latest =
        List.of(
            new Views.ResolutionScore(28, "raw", 0.50, 300),
            new Views.ResolutionScore(32, "raw", 0.55, 300),
            new Views.ResolutionScore(40, "raw", 0.57, 300),
            new Views.ResolutionScore(48, "raw", 0.58, 300),
            new Views.ResolutionScore(32, "ema", 0.60, 300),
            new Views.ResolutionScore(40, "ema", 0.601, 300));
    ScalingAdvice.Subject p = point("res", 20, 1, gaps("300 0.01 0.55"), latest, 0.60);
    Views.Recommendation r = advise(p);
    assertThat(r.rules()).containsExactly(ScalingAdvice.NOT_ENOUGH, ScalingAdvice.RAISE_RESOLUTION);
    assertThat(r.advice())
        .as("one step: the next evaluated resolution, though 48 px scored highest")
        .endsWith("; raise resolution one step: 32 → 40 px");
    assertThat(r.evidence())
        .contains(
            "step 300, raw weights: top-1 0.580 at 48 px vs 0.550 at 32 px, the train resolution"
                + " (rule: 0.005 or more higher)");

    List<Views.ResolutionScore> within =
        List.of(
            new Views.ResolutionScore(32, "raw", 0.55, 300),
            new Views.ResolutionScore(40, "raw", 0.554, 300));
    assertThat(advise(point("res", 20, 1, List.of(), within, 0.554)).rules())
        .as("0.004 better is within the margin: no claim")
        .containsExactly(ScalingAdvice.NOT_ENOUGH);
  }
}
