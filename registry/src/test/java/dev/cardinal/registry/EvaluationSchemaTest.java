package dev.cardinal.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cardinal.core.event.EvaluationEvent;
import dev.cardinal.core.event.EvaluationPlan;
import dev.cardinal.core.event.EvaluationResult;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.event.Scores;
import dev.cardinal.core.event.TrainEvalGap;
import dev.cardinal.core.event.Verdict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An evaluation's schema is core's {@link EvaluationResult}: the event on Kafka, the API's JSON,
 * the OpenAPI document and the table's columns ({@link EvaluationColumn}) list the same fields in
 * the same order.
 */
class EvaluationSchemaTest {

  /** An evaluation with every field known, so that its JSON has every field. */
  private static final EvaluationResult EVERY_FIELD =
      new EvaluationResult(
          new EvaluationPlan(224, "raw", 160, 0.875, true),
          new Scores(10, 0.5, 0.9, 1.2, 0.03, List.of(0.5, 0.4), 0.45),
          "why not",
          7,
          new TrainEvalGap(0.6, 0.1),
          192,
          new Verdict(Verdict.BALANCED, "because", Map.of("gap", 0.1)));

  private static final List<String> API_FIELDS =
      fields(Json.toTree(new Views.Evaluation("r/1/224/raw", EVERY_FIELD)));

  /**
   * The API writes evaluations with its own writer ({@link EvaluationJson}) for speed: it must give
   * the very text Jackson's reflective writer gives for the same evaluation, whatever is known.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("evaluations")
  void theApiWritesAnEvaluationAsJacksonWould(String what, EvaluationResult result)
      throws Exception {
    ObjectNode reflective = Json.MAPPER.createObjectNode().put("id", "r/1/224/raw");
    reflective.setAll((ObjectNode) Json.toTree(result));

    assertThat(Json.MAPPER.writeValueAsString(new Views.Evaluation("r/1/224/raw", result)))
        .isEqualTo(Json.MAPPER.writeValueAsString(reflective));
  }

  static Stream<Arguments> evaluations() {
    EvaluationPlan plan = EvaluationPlan.of(160, "ema");
    return Stream.of(
        Arguments.of("every field", EVERY_FIELD),
        Arguments.of("as first evaluators sent", EvaluationResult.builder(plan).build()),
        Arguments.of(
            "failed", EvaluationResult.failure(plan, "no images").evaluatedAtMs(9).build()),
        Arguments.of(
            "scored, not judged",
            EvaluationResult.builder(plan).scores(Scores.of(100, 0.25, 0.5, 2.0)).build()),
        Arguments.of(
            "one view",
            EvaluationResult.builder(new EvaluationPlan(28, "raw", 28, 1.0, false))
                .scores(Scores.of(100, 0.25, 0.5, 2.0))
                .build()));
  }

  @Test
  void theApiAnswersTheIdThenTheResultsFields() {
    assertThat(API_FIELDS)
        .containsExactly(
            "id",
            "resolution",
            "weights",
            "trainResolution",
            "cropFraction",
            "testFlip",
            "images",
            "top1",
            "top5",
            "nll",
            "ece",
            "perClassAccuracy",
            "singleViewTop1",
            "error",
            "evaluatedAtMs",
            "trainTop1",
            "trainEvalGap",
            "bestResolution",
            "verdict",
            "verdictReason",
            "verdictEvidence");
  }

  @Test
  void theEventCarriesTheSameFieldsAfterItsCheckpointsCoordinates() {
    List<String> expected =
        new ArrayList<>(List.of("schemaVersion", "evaluationId", "runId", "step"));
    expected.addAll(API_FIELDS.subList(1, API_FIELDS.size()));
    assertThat(fields(Json.toTree(EvaluationEvent.of("r", 1, EVERY_FIELD))))
        .containsExactlyElementsOf(expected);
  }

  @Test
  void theTablesColumnsAreTheJsonFieldsInOrder() {
    assertThat(Arrays.stream(EvaluationColumn.values()).map(EvaluationColumn::jsonField))
        .containsExactlyElementsOf(API_FIELDS);
    assertThat(EventWriter.EVALUATION_COLUMNS)
        .startsWith(Arrays.stream(EvaluationColumn.values()).map(c -> c.sql).toArray(String[]::new))
        .contains("evaluation_id", "per_class_accuracy", "verdict_evidence");
  }

  @Test
  void theOpenApiSchemaListsTheJsonFieldsInOrder() throws Exception {
    assertThat(fields(SweepOpenApiTest.schemas().get("Evaluation").get("properties")))
        .containsExactlyElementsOf(API_FIELDS);
  }

  @Test
  void theCheckpointSchemaListsTheCheckpointsJsonFields() throws Exception {
    Views.Checkpoint checkpoint =
        new Views.Checkpoint(
            new Views.StoredCheckpoint(
                "r/1",
                "r",
                1,
                0,
                10,
                "resnet20_cifar",
                "b",
                "p/",
                new RawJson("{}"),
                new RawJson("{}"),
                new RawJson("{\"loss\": 1.0}"),
                5,
                true,
                6L),
            List.of("t"),
            List.of("a"),
            new dev.cardinal.core.event.BestScore(224, "raw", 0.5),
            EVERY_FIELD.regularization(),
            List.of());
    assertThat(fields(SweepOpenApiTest.schemas().get("Checkpoint").get("properties")))
        .containsExactlyElementsOf(fields(Json.toTree(checkpoint)));
  }

  private static List<String> fields(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
