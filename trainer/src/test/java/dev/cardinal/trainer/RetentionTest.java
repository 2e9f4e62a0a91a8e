package dev.cardinal.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetentionTest {

  @Test
  void keepsTheNewestAndTheBestEvaluated() {
    List<Long> steps = List.of(10L, 20L, 30L, 40L, 50L, 60L);
    Map<Long, Double> top1 = Map.of(10L, 0.5, 20L, 0.9, 30L, 0.7, 40L, 0.85, 60L, 0.6);
    assertThat(Retention.keep(steps, top1, 2, 2)).containsExactlyInAnyOrder(50L, 60L, 20L, 40L);
    assertThat(Retention.keep(steps, top1, 1, 0)).containsExactly(60L);
    assertThat(Retention.keep(steps, Map.of(), 3, 2)).containsExactlyInAnyOrder(40L, 50L, 60L);
    assertThat(Retention.keep(List.of(5L), top1, 3, 2)).containsExactly(5L);
  }
}
