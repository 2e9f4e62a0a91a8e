package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.testing.TestServices;
import dev.cardinal.core.wire.ImageBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Ingest through a real broker: both splits arrive stamped, and a restart continues. */
class IngestStageTest {
  private static KafkaSettings kafka;

  @BeforeAll
  static void broker() {
    kafka = TestServices.freshKafkaWithTopics();
  }

  private static List<ImageBatch> batches(String topic) {
    List<ImageBatch> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        TestServices.consumeAll(kafka, topic, Duration.ofSeconds(30))) {
      out.add(ImageBatch.decode(r.value()));
    }
    return out;
  }

  @Test
  void producesEvalOnceAndEveryTrainImageOncePerEpochAcrossARestart() {
    SyntheticSource source = new SyntheticSource(5, 300, 50, 16, 4);
    new IngestStage(kafka, source, new IngestOptions(32, 1, 11, 0)).run();

    List<ImageBatch> eval = batches(Topics.IMAGES_EVAL);
    assertThat(eval.stream().mapToInt(ImageBatch::size).sum()).isEqualTo(50);
    List<ImageBatch> firstEpoch = batches(Topics.IMAGES_TRAIN);
    assertThat(ids(firstEpoch, 0)).hasSize(300);
    assertThat(firstEpoch).allSatisfy(b -> assertThat(b.stamp().epoch()).isZero());
    assertThat(firstEpoch).allSatisfy(b -> assertThat(b.stamp().epochSize()).isEqualTo(300));
    assertThat(firstEpoch).allSatisfy(b -> assertThat(b.datasetId()).isEqualTo(source.datasetId()));

    // A second process asked for two epochs resumes at epoch 1 and does not resend eval images.
    new IngestStage(kafka, source, new IngestOptions(32, 2, 11, 0)).run();
    List<ImageBatch> all = batches(Topics.IMAGES_TRAIN);
    assertThat(all.stream().mapToInt(ImageBatch::size).sum()).isEqualTo(600);
    assertThat(ids(all, 1)).isEqualTo(ids(all, 0));
    assertThat(batches(Topics.IMAGES_EVAL).stream().mapToInt(ImageBatch::size).sum()).isEqualTo(50);

    // Each epoch has its own order; offsets tile the epoch.
    List<Long> offsets =
        all.stream()
            .filter(b -> b.stamp().epoch() == 1)
            .map(b -> b.stamp().sampleOffset())
            .sorted()
            .toList();
    assertThat(offsets.get(0)).isZero();
    assertThat(offsets).hasSize(10);
  }

  private static Set<Long> ids(List<ImageBatch> batches, int epoch) {
    Set<Long> ids = new HashSet<>();
    for (ImageBatch b : batches) {
      if (b.stamp().epoch() == epoch) {
        for (long id : b.sampleIds()) {
          assertThat(ids.add(id)).as("sample %d twice in epoch %d", id, epoch).isTrue();
        }
      }
    }
    return ids;
  }
}
