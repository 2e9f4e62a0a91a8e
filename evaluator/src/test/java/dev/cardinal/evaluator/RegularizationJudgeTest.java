package dev.cardinal.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.cardinal.core.event.Verdict;
import org.junit.jupiter.api.Test;

class RegularizationJudgeTest {

  @Test
  void aWideningGapIsOverFitting() {
    RegularizationJudge judge = new RegularizationJudge();
    assertThat(judge.judge("r", 100, 0.80, 0.78, 32, 10).verdict()).isEqualTo(Verdict.BALANCED);
    assertThat(judge.judge("r", 200, 0.88, 0.83, 32, 10).verdict()).isEqualTo(Verdict.OVER_FITTING);
    Verdict v = judge.judge("r", 300, 0.95, 0.85, 32, 10);
    assertThat(v.verdict()).isEqualTo(Verdict.OVER_FITTING);
    assertThat(v.evidence().get("gap")).isCloseTo(0.10, offset(1e-9));
    assertThat(v.evidence().get("windowStartGap")).isCloseTo(0.02, offset(1e-9));
    assertThat(v.evidence().get("previousGap")).isCloseTo(0.05, offset(1e-9));
    assertThat(v.evidence().get("previousCheckpoints")).isEqualTo(2.0);
    assertThat(v.reason())
        .contains("widened from 0.020 to 0.100")
        .contains("raise regularization")
        .contains("depth");
  }

  @Test
  void aLargeButSteadyOrShrinkingGapIsNotWidening() {
    RegularizationJudge judge = new RegularizationJudge();
    judge.record("r", 1, 0.10);
    judge.record("r", 2, 0.10);
    assertThat(judge.judge("r", 3, 0.95, 0.85, 32, 10).verdict()).isEqualTo(Verdict.BALANCED);
    // Widened against the window's start but shrank since the latest checkpoint.
    judge.record("r", 4, 0.20);
    assertThat(judge.judge("r", 5, 0.95, 0.80, 32, 10).verdict()).isEqualTo(Verdict.BALANCED);
  }

  @Test
  void onlyEarlierCheckpointsOfTheSameRunCount() {
    RegularizationJudge judge = new RegularizationJudge();
    judge.record("other", 1, 0.0);
    judge.record("r", 9, 0.0); // a later step of this run, scored first by another instance
    Verdict v = judge.judge("r", 5, 0.95, 0.80, 32, 10);
    assertThat(v.verdict()).isEqualTo(Verdict.BALANCED);
    assertThat(v.evidence().get("previousCheckpoints")).isZero();
    assertThat(v.reason()).contains("no earlier checkpoint");
  }

  @Test
  void lowAndCloseIsUnderFitting() {
    RegularizationJudge judge = new RegularizationJudge();
    Verdict v = judge.judge("r", 1, 0.41, 0.40, 24, 10);
    assertThat(v.verdict()).isEqualTo(Verdict.UNDER_FITTING);
    // 10 classes: low means below 0.1 + 0.6 * 0.9 = 0.64.
    assertThat(v.evidence().get("lowThreshold")).isCloseTo(0.64, offset(1e-9));
    assertThat(v.reason()).contains("lower regularization").contains("width");
    // Low but far apart is not under-fitting; high and close is balanced.
    assertThat(judge.judge("s", 1, 0.60, 0.30, 24, 10).verdict()).isEqualTo(Verdict.BALANCED);
    assertThat(judge.judge("t", 1, 0.90, 0.89, 24, 10).verdict()).isEqualTo(Verdict.BALANCED);
  }

  @Test
  void withoutTrainAccuracyTheVerdictIsUnknown() {
    Verdict v = new RegularizationJudge().judge("r", 1, Double.NaN, 0.5, 24, 10);
    assertThat(v.verdict()).isEqualTo(Verdict.UNKNOWN);
    assertThat(v.evidence()).isEmpty();
  }
}
