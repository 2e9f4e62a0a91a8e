package dev.cardinal.core.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.config.KafkaSettings;
import dev.cardinal.core.kafka.KafkaSender;
import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestServices;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {

  @Test
  void restartOnTheSameDirectoryKeepsTopicsRecordsAndClusterId(@TempDir Path dir) throws Exception {
    String topic = TestServices.unique("restart");
    String clusterId;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0)) {
      KafkaSettings settings = kafka.settings();
      TestServices.createTopic(settings, topic, 2);
      try (KafkaSender sender = new KafkaSender(settings)) {
        for (int i = 0; i < 10; i++) {
          sender.send(topic, null, ("r" + i).getBytes(StandardCharsets.UTF_8)).block();
        }
      }
      clusterId = clusterId(settings);
    }
    assertThat(dir.resolve("meta.properties")).exists();

    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0)) {
      KafkaSettings settings = kafka.settings();
      assertThat(clusterId(settings)).isEqualTo(clusterId);
      List<ConsumerRecord<byte[], byte[]>> records =
          TestServices.consumeAll(settings, topic, Duration.ofSeconds(30));
      assertThat(records)
          .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
          .containsExactlyInAnyOrder("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9");
    }
  }

  @Test
  void closesWithoutHanging(@TempDir Path dir) {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0);
    CompletableFuture<Void> closing = CompletableFuture.runAsync(kafka::close);
    // Not a speed assertion: a hanging shutdown (seconds of controlled-shutdown retries) is a bug,
    // and the fact awaited is that close returns at all.
    Await.until(Duration.ofSeconds(10), "the broker's close to return", closing::isDone);
    closing.join();
  }

  @Test
  void aTakenPortIsReportedWithWhatToDo(@TempDir Path dir) throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();
      assertThatThrownBy(() -> EmbeddedKafka.start(dir, port))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(String.valueOf(port))
          .hasMessageContaining("--kafka-port");
    }
    assertThat(Files.exists(dir.resolve("meta.properties"))).isFalse();
  }

  private static String clusterId(KafkaSettings settings) throws Exception {
    try (Admin admin = Admin.create(settings.adminProperties())) {
      return admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
    }
  }
}
