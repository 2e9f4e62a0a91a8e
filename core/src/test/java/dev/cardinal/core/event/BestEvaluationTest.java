package dev.cardinal.core.event;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.event.BestEvaluation.Score;
import java.util.List;
import org.junit.jupiter.api.Test;

class BestEvaluationTest {

  private static Score best(Score... candidates) {
    return BestEvaluation.among(List.of(candidates), s -> s).orElseThrow();
  }

  @Test
  void higherTop1WinsThenLowerNllThenSmallerResolutionThenTheFirstWeightsName() {
    Score accurate = new Score(0.9, 2.0, 224, "raw");
    Score confident = new Score(0.8, 0.1, 224, "raw");
    assertThat(best(confident, accurate)).isEqualTo(accurate);

    Score lowNll = new Score(0.9, 0.5, 224, "raw");
    assertThat(best(accurate, lowNll)).isEqualTo(lowNll);

    Score small = new Score(0.9, 0.5, 160, "raw");
    assertThat(best(lowNll, small)).isEqualTo(small);

    Score ema = new Score(0.9, 0.5, 160, "ema");
    assertThat(best(small, ema)).isEqualTo(ema);
    assertThat(best(ema, small)).isEqualTo(ema);
  }

  @Test
  void betweenCheckpointsWithEqualScoresTheLaterStepWins() {
    Score early = new Score(0.9, 0.5, 160, "raw", 100);
    Score late = new Score(0.9, 0.5, 160, "raw", 200);
    assertThat(best(late, early)).isEqualTo(late);
    assertThat(best(early, late)).isEqualTo(late);
    Score earlyButSmaller = new Score(0.9, 0.5, 128, "raw", 100);
    assertThat(best(late, earlyButSmaller)).isEqualTo(earlyButSmaller);
  }

  @Test
  void aMissingScoreRanksBelowEveryNumber() {
    Score noNll = new Score(0.9, null, 160, "raw");
    Score nanNll = new Score(0.9, Double.NaN, 160, "ema");
    Score withNll = new Score(0.9, 9.0, 224, "raw");
    assertThat(best(noNll, withNll, nanNll)).isEqualTo(withNll);

    Score noTop1 = new Score(Double.NaN, 0.1, 160, "raw");
    Score poor = new Score(0.01, 5.0, 224, "raw");
    assertThat(best(noTop1, poor)).isEqualTo(poor);
  }

  @Test
  void noCandidatesNoBest() {
    assertThat(BestEvaluation.among(List.<Score>of(), s -> s)).isEmpty();
  }
}
