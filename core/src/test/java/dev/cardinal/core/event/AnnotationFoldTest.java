package dev.cardinal.core.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.event.AnnotationEvent.Action;
import dev.cardinal.core.wire.WireFormatException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AnnotationFoldTest {

  @Test
  void anIntentFirstRefusesLaterSetsUntilCancelled() {
    AnnotationFold fold = new AnnotationFold();
    assertThat(fold.apply(AnnotationEvent.deleteIntent("r", 50))).isTrue();
    assertThat(fold.apply(AnnotationEvent.alias("r", 50, "production", Action.SET))).isFalse();
    assertThat(fold.apply(AnnotationEvent.tag("r", 50, "keep", Action.SET))).isFalse();
    assertThat(fold.held("r", 50)).isFalse();
    assertThat(fold.alias("r", "production")).isEmpty();

    assertThat(fold.apply(AnnotationEvent.deleteCancelled("r", 50))).isTrue();
    assertThat(fold.apply(AnnotationEvent.alias("r", 50, "production", Action.SET))).isTrue();
    assertThat(fold.held("r", 50)).isTrue();
  }

  @Test
  void anAliasOrTagFirstRefusesTheIntent() {
    AnnotationFold fold = new AnnotationFold();
    fold.apply(AnnotationEvent.alias("r", 50, "production", Action.SET));
    fold.apply(AnnotationEvent.tag("r", 60, "keep", Action.SET));
    assertThat(fold.apply(AnnotationEvent.deleteIntent("r", 50))).isFalse();
    assertThat(fold.apply(AnnotationEvent.deleteIntent("r", 60))).isFalse();
    assertThat(fold.deleting("r", 50)).isFalse();
    assertThat(fold.apply(AnnotationEvent.deleteIntent("other-run", 50))).isTrue();
  }

  @Test
  void aMovedAliasLeavesItsOldCheckpointAndAStaleRemoveDoesNotUndoTheMove() {
    AnnotationFold fold = new AnnotationFold();
    fold.apply(AnnotationEvent.alias("r", 10, "production", Action.SET));
    fold.apply(AnnotationEvent.alias("r", 20, "production", Action.SET));
    assertThat(fold.held("r", 10)).isFalse();
    fold.apply(AnnotationEvent.alias("r", 10, "production", Action.REMOVE));
    assertThat(fold.alias("r", "production")).hasValue(20);
    fold.apply(AnnotationEvent.alias("r", 20, "production", Action.REMOVE));
    assertThat(fold.held("r", 20)).isFalse();

    fold.apply(AnnotationEvent.tag("r", 30, "a", Action.SET));
    fold.apply(AnnotationEvent.tag("r", 30, "b", Action.SET));
    fold.apply(AnnotationEvent.tag("r", 30, "a", Action.REMOVE));
    assertThat(fold.held("r", 30)).isTrue();
    fold.apply(AnnotationEvent.tag("r", 30, "b", Action.REMOVE));
    assertThat(fold.held("r", 30)).isFalse();
  }

  @Test
  void eventsRoundTripAndBadOnesAreRefused() {
    AnnotationEvent e = AnnotationEvent.alias("r", 5, "production", Action.SET);
    assertThat(Json.fromBytes(Json.toBytes(e), AnnotationEvent.class).validate()).isEqualTo(e);
    AnnotationEvent intent = AnnotationEvent.deleteIntent("r", 5);
    assertThat(Json.fromBytes(Json.toBytes(intent), AnnotationEvent.class)).isEqualTo(intent);

    byte[] noName =
        ("{\"schemaVersion\":1,\"runId\":\"r\",\"step\":5,\"kind\":\"TAG\",\"action\":\"SET\","
                + "\"atMs\":1}")
            .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Json.fromBytes(noName, AnnotationEvent.class).validate())
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("needs a name");
    byte[] unknownKind =
        "{\"schemaVersion\":1,\"runId\":\"r\",\"step\":5,\"kind\":\"PIN\",\"atMs\":1}"
            .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Json.fromBytes(unknownKind, AnnotationEvent.class))
        .isInstanceOf(WireFormatException.class);
  }
}
