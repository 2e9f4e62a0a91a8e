package dev.cardinal.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.Topics;
import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.testing.TestServices;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

/** The topics a real broker gets from {@link TopicAdmin#ensureTopics}, and how long they keep. */
class TopicAdminTest {

  @Test
  void streamedImagesAreCappedAndWhatIsReadFromTheStartIsKept() throws Exception {
    KafkaSettings kafka = TestServices.freshKafka();
    TopicAdmin.ensureTopics(kafka);
    // A second call finds every topic and changes nothing.
    TopicAdmin.ensureTopics(kafka);
    try (Admin admin = Admin.create(kafka.adminProperties())) {
      assertThat(admin.listTopics().names().get(15, TimeUnit.SECONDS))
          .containsAll(TopicAdmin.cardinalTopics().stream().map(t -> t.name()).toList());
      List<String> names =
          List.of(
              Topics.IMAGES_TRAIN,
              Topics.IMAGES_AUGMENTED,
              Topics.IMAGES_EVAL,
              Topics.CHECKPOINTS,
              Topics.EVALUATIONS,
              Topics.ANNOTATIONS,
              Topics.INGEST_PROGRESS);
      Map<String, Config> configs =
          admin
              .describeConfigs(
                  names.stream()
                      .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                      .toList())
              .all()
              .get(15, TimeUnit.SECONDS)
              .entrySet()
              .stream()
              .collect(Collectors.toMap(e -> e.getKey().name(), Map.Entry::getValue));

      for (String streamed : List.of(Topics.IMAGES_TRAIN, Topics.IMAGES_AUGMENTED)) {
        assertThat(value(configs, streamed, TopicConfig.RETENTION_BYTES_CONFIG))
            .isEqualTo(String.valueOf(TopicAdmin.IMAGE_RETENTION_BYTES));
        assertThat(value(configs, streamed, TopicConfig.MAX_MESSAGE_BYTES_CONFIG))
            .isEqualTo(String.valueOf(KafkaSettings.MAX_RECORD_BYTES));
      }
      for (String kept :
          List.of(Topics.IMAGES_EVAL, Topics.CHECKPOINTS, Topics.EVALUATIONS, Topics.ANNOTATIONS)) {
        assertThat(value(configs, kept, TopicConfig.RETENTION_MS_CONFIG)).as(kept).isEqualTo("-1");
        assertThat(value(configs, kept, TopicConfig.RETENTION_BYTES_CONFIG))
            .as(kept)
            .isEqualTo("-1");
      }
      // The order of one partition decides races between aliases and retention.
      assertThat(
              admin
                  .describeTopics(List.of(Topics.ANNOTATIONS))
                  .allTopicNames()
                  .get(15, TimeUnit.SECONDS)
                  .get(Topics.ANNOTATIONS)
                  .partitions())
          .hasSize(1);
      assertThat(value(configs, Topics.INGEST_PROGRESS, TopicConfig.CLEANUP_POLICY_CONFIG))
          .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
    }
  }

  private static String value(Map<String, Config> configs, String topic, String key) {
    ConfigEntry entry = configs.get(topic).get(key);
    return entry == null ? null : entry.value();
  }
}
