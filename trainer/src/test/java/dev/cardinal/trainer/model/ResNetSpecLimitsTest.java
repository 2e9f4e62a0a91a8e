package dev.cardinal.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cardinal.core.event.Json;
import dev.cardinal.core.wire.WireFormatException;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A spec can come from a checkpoint event or manifest, so a forged one must be refused before the
 * builder allocates what it names; every preset must still pass.
 */
class ResNetSpecLimitsTest {

  /** A spec's JSON (as a manifest holds it) with one field replaced. */
  private static ResNetSpec forged(UnaryOperator<ObjectNode> edit) {
    ObjectNode json = (ObjectNode) Json.toTree(ModelPresets.get("resnext50_32x4d"));
    return Json.fromTree(edit.apply(json), ResNetSpec.class);
  }

  @Test
  void everyPresetIsWithinTheLimitsAtTheLargestClassCountAndWidth() {
    for (String name : ModelPresets.names()) {
      ResNetSpec spec = ModelPresets.get(name);
      assertThat(spec.withNumClasses(ResNetSpec.MAX_CLASSES).withWidthMultiplier(2.0).numClasses())
          .as(name)
          .isEqualTo(ResNetSpec.MAX_CLASSES);
    }
  }

  @Test
  void forgedSizesAreRefusedNamingFieldValueAndLimit() {
    record Forgery(String expected, UnaryOperator<ObjectNode> edit) {}
    List<Forgery> forgeries =
        List.of(
            new Forgery(
                "stages (depths list size) is 6, over the limit of 5",
                j -> j.set("depths", Json.toTree(List.of(1, 1, 1, 1, 1, 1)))),
            new Forgery(
                "blocks in a stage is 2147483647, over the limit of 200",
                j -> j.set("depths", Json.toTree(List.of(3, 4, Integer.MAX_VALUE, 3)))),
            new Forgery(
                "blocks in all stages is 800, over the limit of 600",
                j -> j.set("depths", Json.toTree(Collections.nCopies(4, 200)))),
            new Forgery(
                "cardinality is 4096, over the limit of 64", j -> j.put("cardinality", 4096)),
            new Forgery(
                "baseWidth is 1000000, over the limit of 256", j -> j.put("baseWidth", 1_000_000)),
            new Forgery(
                "cardinality x baseWidth is 16384, over the limit of 1024",
                j -> j.put("cardinality", 64).put("baseWidth", 256)),
            new Forgery(
                "stemWidth is 65536, over the limit of 256", j -> j.put("stemWidth", 65_536)),
            new Forgery("radix is 1000, over the limit of 8", j -> j.put("radix", 1000)),
            new Forgery(
                "numClasses is 2147483647, over the limit of 100000",
                j -> j.put("numClasses", Integer.MAX_VALUE)),
            new Forgery(
                "widthMultiplier must be in [0.25, 2.0]: 1000.0",
                j -> j.put("widthMultiplier", 1000.0)));
    for (Forgery forgery : forgeries) {
      assertThatThrownBy(() -> forged(forgery.edit()))
          .as(forgery.expected())
          .isInstanceOf(WireFormatException.class)
          .hasMessageContaining(forgery.expected());
    }
  }

  @Test
  void theConstructorItselfRefusesAForgedSpec() {
    ResNetSpec base = ModelPresets.get("resnet50");
    assertThatThrownBy(() -> base.withNumClasses(ResNetSpec.MAX_CLASSES + 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "ResNet spec numClasses is 100001, over the limit of 100000; use a preset (cardinal"
                + " models lists them) or a spec within the limits");
  }
}
