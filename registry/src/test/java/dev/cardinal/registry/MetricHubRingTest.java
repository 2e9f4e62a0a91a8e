package dev.cardinal.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cardinal.core.event.MetricEvent;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Issue 13 item 6: a series' ring costs the points it holds, up to its cap, not the cap. */
class MetricHubRingTest {

  private static MetricEvent loss(String run, long step) {
    return new MetricEvent(
        MetricEvent.SCHEMA_VERSION, "trainer", run, step, Map.of("loss", 1.0 / (step + 1)), step);
  }

  @Test
  void aShortSeriesAllocatesWhatItHoldsNotTheCap() {
    MetricHub hub = new MetricHub(5000);
    for (long step = 0; step < 3; step++) {
      hub.accept(loss("a", step));
    }
    assertThat(hub.allocatedPoints()).isEqualTo(MetricHub.Ring.INITIAL_POINTS);

    for (long step = 3; step < 100; step++) {
      hub.accept(loss("a", step));
    }
    assertThat(hub.allocatedPoints()).isEqualTo(128);
    MetricHub.Series series = hub.history().get(0);
    assertThat(series.steps()).containsExactly(LongStream.range(0, 100).toArray());
    assertThat(series.values()[99]).isEqualTo(1.0 / 100);
    assertThat(series.timestampsMs()[42]).isEqualTo(42);
  }

  @Test
  void aRingGrowsToItsCapAndThenKeepsTheNewestPoints() {
    MetricHub hub = new MetricHub(40);
    for (long step = 0; step < 100; step++) {
      hub.accept(loss("a", step));
    }
    assertThat(hub.allocatedPoints()).isEqualTo(40);
    assertThat(hub.history().get(0).steps()).containsExactly(LongStream.range(60, 100).toArray());
    assertThat(hub.latest("loss").get(0).value()).isEqualTo(1.0 / 100);
  }

  @Test
  void manySeriesCostTheirPointsNotSeriesTimesCapacity() {
    MetricHub hub = new MetricHub(5000);
    for (int run = 0; run < 1000; run++) {
      hub.accept(loss("run-" + run, 1));
    }
    assertThat(hub.seriesCount()).isEqualTo(1000);
    assertThat(hub.allocatedPoints()).isEqualTo(1000L * MetricHub.Ring.INITIAL_POINTS);
  }
}
