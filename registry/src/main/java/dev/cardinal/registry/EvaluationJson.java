package dev.cardinal.registry;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.cardinal.core.event.EvaluationResult;
import java.io.IOException;

/**
 * Writes an evaluation's JSON field by field, in {@link EvaluationColumn}'s order and under its
 * names, leaving out unknown (null) fields as the mapper does. A page of checkpoints carries three
 * or more evaluations each, and Jackson's reflective writer spent a fifth of the registry's CPU on
 * them ({@code bench/registry}: record accessors called through reflection, each unwrapped part
 * through its own serializer). The switch over the columns is exhaustive, so a new column cannot be
 * left out; {@code EvaluationSchemaTest} checks the output against the reflective writer's.
 */
final class EvaluationJson extends StdSerializer<Views.Evaluation> {
  private static final SerializableString[] FIELDS = fieldNames();

  EvaluationJson() {
    super(Views.Evaluation.class);
  }

  @Override
  public void serialize(Views.Evaluation evaluation, JsonGenerator gen, SerializerProvider provider)
      throws IOException {
    EvaluationResult r = evaluation.result();
    gen.writeStartObject();
    for (EvaluationColumn column : EvaluationColumn.values()) {
      Object value =
          switch (column) {
            case ID -> evaluation.id();
            case RESOLUTION -> r.plan().resolution();
            case WEIGHTS -> r.plan().weights();
            case TRAIN_RESOLUTION -> r.plan().trainResolution();
            case CROP_FRACTION -> r.plan().cropFraction();
            case TEST_FLIP -> r.plan().testFlip();
            case IMAGES -> r.scores().images();
            case TOP1 -> r.scores().top1();
            case TOP5 -> r.scores().top5();
            case NLL -> r.scores().nll();
            case ECE -> r.scores().ece();
            case PER_CLASS_ACCURACY -> r.scores().perClassAccuracy();
            case SINGLE_VIEW_TOP1 -> r.scores().singleViewTop1();
            case ERROR -> r.error();
            case EVALUATED_AT_MS -> r.evaluatedAtMs();
            case TRAIN_TOP1 -> r.gap().trainTop1();
            case TRAIN_EVAL_GAP -> r.gap().trainEvalGap();
            case BEST_RESOLUTION -> r.bestResolution();
            case VERDICT -> r.regularization().verdict();
            case VERDICT_REASON -> r.regularization().reason();
            case VERDICT_EVIDENCE -> r.regularization().evidence();
          };
      write(gen, provider, FIELDS[column.ordinal()], value);
    }
    gen.writeEndObject();
  }

  private static void write(
      JsonGenerator gen, SerializerProvider provider, SerializableString field, Object value)
      throws IOException {
    if (value == null) {
      return;
    }
    gen.writeFieldName(field);
    if (value instanceof Double d) {
      gen.writeNumber(d);
    } else if (value instanceof String s) {
      gen.writeString(s);
    } else if (value instanceof Integer i) {
      gen.writeNumber(i);
    } else if (value instanceof Long l) {
      gen.writeNumber(l);
    } else if (value instanceof Boolean b) {
      gen.writeBoolean(b);
    } else {
      // The per-class list and the verdict's evidence: rare, and Jackson's own writers do them.
      provider.defaultSerializeValue(value, gen);
    }
  }

  private static SerializableString[] fieldNames() {
    EvaluationColumn[] columns = EvaluationColumn.values();
    SerializableString[] names = new SerializableString[columns.length];
    for (EvaluationColumn column : columns) {
      names[column.ordinal()] = new SerializedString(column.jsonField());
    }
    return names;
  }
}
