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
    assertSameFields(schemas.get("SweepPoint"), Views.SweepPointAnswer.class);
    assertSameFields(schemas.get("ResolutionScore"), Views.ResolutionScore.class);
    JsonNode point = schemas.get("SweepPoint").get("properties");
    assertSameFields(point.get("bestTop1"), Views.BestTop1.class);
    assertSameFields(point.get("gapHistory").get("items"), Views.GapPoint.class);
    assertSameFields(point.get("recommendation"), Views.Recommendation.class);
  }

  @Test
  void aPointsAnswerStartsWithThePointsDefinitionFieldForField() {
    List<RecordComponent> defined = Arrays.asList(SweepPoint.class.getRecordComponents());
    List<RecordComponent> answered =
        Arrays.asList(Views.SweepPointAnswer.class.getRecordComponents())
            .subList(0, defined.size());
    for (int i = 0; i < defined.size(); i++) {
      assertThat(answered.get(i).getName()).isEqualTo(defined.get(i).getName());
      assertThat(answered.get(i).getType()).isEqualTo(defined.get(i).getType());
    }
  }

  private static void assertSameFields(JsonNode schema, Class<? extends Record> type) {
    List<String> documented = new ArrayList<>();
    schema.get("properties").fieldNames().forEachRemaining(documented::add);
    List<String> fields =
        Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList();
    assertThat(documented).as(type.getSimpleName()).containsExactlyElementsOf(fields);
  }
}
