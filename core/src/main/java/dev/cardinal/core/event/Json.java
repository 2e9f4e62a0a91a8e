package dev.cardinal.core.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.cardinal.core.wire.WireFormatException;
import java.io.IOException;
import java.io.InputStream;

/** The one JSON mapper of Cardinal: events, manifests and REST bodies all go through it. */
public final class Json {

  /**
   * Unknown fields are ignored so that an older reader accepts a newer writer's events; the schema
   * version field says when that is not enough.
   */
  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .build();

  private Json() {}

  public static byte[] toBytes(Object value) {
    return write(value, MAPPER::writeValueAsBytes);
  }

  public static String toString(Object value) {
    return write(value, MAPPER::writeValueAsString);
  }

  /** One of the mapper's writers, which throw a checked exception that only a bug can cause. */
  private interface Writer<T> {
    T write(Object value) throws JsonProcessingException;
  }

  private static <T> T write(Object value, Writer<T> writer) {
    try {
      return writer.write(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "cannot write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }

  public static JsonNode toTree(Object value) {
    return MAPPER.valueToTree(value);
  }

  /**
   * Reads a JSON event.
   *
   * @throws WireFormatException naming the type and the parser's complaint
   */
  public static <T> T fromBytes(byte[] bytes, Class<T> type) {
    if (bytes == null) {
      throw new WireFormatException(type.getSimpleName() + " record has no value (null)");
    }
    try {
      return MAPPER.readValue(bytes, type);
    } catch (JsonProcessingException e) {
      throw new WireFormatException(
          "not a valid " + type.getSimpleName() + " JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new WireFormatException("cannot read " + type.getSimpleName() + ": " + e, e);
    }
  }

  public static <T> T fromStream(InputStream in, Class<T> type) throws IOException {
    return MAPPER.readValue(in, type);
  }

  public static <T> T fromTree(JsonNode node, Class<T> type) {
    try {
      return MAPPER.treeToValue(node, type);
    } catch (JsonProcessingException e) {
      throw new WireFormatException(
          "not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
    }
  }
}
