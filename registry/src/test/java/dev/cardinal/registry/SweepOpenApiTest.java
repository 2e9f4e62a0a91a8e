package dev.cardinal.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cardinal.core.event.SweepPoint;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The study's JSON is documented field for field: each schema of the OpenAPI document lists exactly
 * the components of the record the API answers with (the CLI's {@code sweep report} and the UI read
 * these names).
 */
class SweepOpenApiTest {

  /** The schemas of the registry's OpenAPI document. */
  static JsonNode schemas() throws IOException {
    try (InputStream in = RegistryRoutes.class.getResourceAsStream("openapi.yaml")) {
      return new YAMLMapper().readTree(in).get("components").get("schemas");
    }
  }

  @Test
  void sweepSchemasListExactlyTheFieldsOfTheirRecords() throws Exception {
    JsonNode schemas = schemas();
    assertSameFields(schemas.get("SweepSummary"), Views.SweepSummary.class);
    assertSameFields(schemas.get("Sweep"), Views.Sweep.class);
    assertSameFields(schemas.get("ResolutionScore"), Views.ResolutionScore.class);
    JsonNode point = schemas.get("SweepPoint").get("properties");
    assertSameFields(point.get("bestTop1"), Views.BestTop1.class);
    assertSameFields(point.get("gapHistory").get("items"), Views.GapPoint.class);
    assertSameFields(point.get("recommendation"), Views.Recommendation.class);
  }

  /**
   * A point's answer starts with the point's definition, field for field (its fields stand at the
   * top level), then the answer's own; the schema documents each.
   */
  @Test
  void aPointsAnswerIsThePointsDefinitionThenTheAnswersFields() throws Exception {
    List<String> expected = new ArrayList<>();
    for (RecordComponent c : SweepPoint.class.getRecordComponents()) {
      expected.add(c.getName());
    }
    List<RecordComponent> answer =
        Arrays.asList(Views.SweepPointAnswer.class.getRecordComponents());
    assertThat(answer.get(0).getType()).isEqualTo(SweepPoint.class);
    answer.subList(1, answer.size()).forEach(c -> expected.add(c.getName()));
    List<String> documented = new ArrayList<>();
    schemas().get("SweepPoint").get("properties").fieldNames().forEachRemaining(documented::add);
    assertThat(documented).containsExactlyElementsOf(expected);
  }

  private static void assertSameFields(JsonNode schema, Class<? extends Record> type) {
    List<String> documented = new ArrayList<>();
    schema.get("properties").fieldNames().forEachRemaining(documented::add);
    List<String> fields =
        Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList();
    assertThat(documented).as(type.getSimpleName()).containsExactlyElementsOf(fields);
  }
}
