package dev.cardinal.registry;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.cardinal.core.event.Json;
import java.io.IOException;

/**
 * A JSON document the registry stored itself (a checkpoint's spec, its schedule), answered as it is
 * stored. A page of 50 checkpoints would otherwise parse 100 such documents into trees only to
 * write them out again unchanged; callers that need the tree parse it on demand with {@link
 * #tree()}.
 *
 * @param text valid JSON, as the registry wrote it from the event
 */
@JsonSerialize(using = RawJson.Writer.class)
record RawJson(String text) {
  /** The stored text as a tree. */
  JsonNode tree() {
    try {
      return Json.MAPPER.readTree(text);
    } catch (IOException e) {
      throw new StoreException("stored JSON does not parse: " + e.getMessage(), e);
    }
  }

  /** Null for a column that holds none (SQL NULL, or a JSON null the event carried). */
  static RawJson ofNullable(String text) {
    return text == null || text.equals("null") ? null : new RawJson(text);
  }

  static final class Writer extends StdSerializer<RawJson> {
    Writer() {
      super(RawJson.class);
    }

    @Override
    public void serialize(RawJson value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeRawValue(value.text());
    }
  }
}
