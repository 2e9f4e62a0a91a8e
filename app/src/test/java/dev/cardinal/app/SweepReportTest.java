package dev.cardinal.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.Scores;
import dev.cardinal.core.event.SweepEvent;
import dev.cardinal.core.event.SweepPoint;
import dev.cardinal.core.event.TrainEvalGap;
import dev.cardinal.core.event.Verdict;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's table, from the registry's sweep JSON or from the events alone. */
class SweepReportTest {

  @Test
  void theRegistrysAnswerIsATableWithEachPointsAdviceAndEvidence() throws Exception {
    JsonNode sweep =
        Json.MAPPER.readTree(
            """
            {"sweepId": "s", "dataset": "fashion-mnist", "budgetSamples": 60000, "state": "done",
             "points": [
              {"pointId": "resnet20-r28", "runId": "s-resnet20-r28", "family": "resnet",
               "macs": 40550000, "parameters": 272474, "state": "done", "samplesTrained": 60000,
               "trainImagesPerSecond": 431.2, "bestTop1": {"raw": 0.9012, "ema": 0.9105},
               "best": {"resolution": 28, "weights": "ema", "top1": 0.9105, "step": 469},
               "verdict": "over-fitting", "gap": 0.061, "paretoMacs": true, "paretoTime": false,
               "recommendation": {"rules": ["over-fitting"],
                 "advice": "scale depth no further, add regularization",
                 "evidence": ["gap 0.061 at step 469"]}},
              {"pointId": "resnet56-r28", "runId": "s-resnet56-r28", "family": "resnet",
               "macs": 125000000, "parameters": 853018, "state": "running",
               "samplesTrained": 1200}
             ]}
            """);
    String table = SweepReport.render(sweep, "registry x");
    assertThat(table)
        .contains("Sweep s on fashion-mnist: done, 60000 samples per point (from registry x)")
        .contains("40.6")
        .contains("272,474")
        .contains("90.12%")
        .contains("91.05%")
        .contains("28px ema")
        .contains("over-fitting")
        .contains("+0.061")
        .contains("macs")
        .contains(
            "resnet20-r28: scale depth no further, add regularization (evidence: gap 0.061 at"
                + " step 469)");
    String unscored = table.lines().filter(l -> l.startsWith("resnet56-r28")).findFirst().get();
    assertThat(unscored).contains("running").contains("1,200").contains("-");
  }

  @Test
  void withoutARegistryTheEventsAndEvaluationsGiveTheBestScores() {
    SweepPoint point =
        new SweepPoint("p", "s-p", "resnet20", "resnet", 0.5, null, 32, 1, 10_000_000, 70_000);
    SweepFold fold = new SweepFold("s");
    fold.apply(SweepEvent.defined("s", List.of(point), 640, "synthetic"));
    fold.apply(SweepEvent.progress("s", "p", SweepEvent.DONE, 640, 250.0, null));
    List<EvaluationEvent> evaluations =
        List.of(
            score(10, "raw", 0.40, null),
            score(20, "raw", 0.55, "balanced"),
            score(20, "ema", 0.35, null));
    JsonNode sweep = SweepReport.fromEvents(fold, Map.of("s-p", evaluations));
    JsonNode p = sweep.get("points").get(0);
    assertThat(sweep.get("state").asText()).isEqualTo("done");
    assertThat(p.get("bestTop1").get("raw").asDouble()).isEqualTo(0.55);
    assertThat(p.get("bestTop1").get("ema").asDouble()).isEqualTo(0.35);
    assertThat(p.get("best").get("step").asLong()).isEqualTo(20);
    assertThat(p.get("verdict").asText()).isEqualTo("balanced");
    assertThat(p.get("trainImagesPerSecond").asDouble()).isEqualTo(250.0);
    assertThat(SweepReport.render(sweep, "events")).contains("55.00%").contains("35.00%");
  }

  private static EvaluationEvent score(long step, String weights, double top1, String verdict) {
    return EvaluationEvent.of(
        "s-p",
        step,
        EvaluationResult.builder(EvaluationPlan.of(32, weights))
            .scores(new Scores(64, top1, null, null, null, null, null))
            .regularization(new Verdict(verdict, null, null))
            .gap(new TrainEvalGap(null, verdict == null ? null : 0.01))
            .build());
  }
}
