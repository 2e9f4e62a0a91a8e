package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyntheticSourceTest {

  @Test
  void sameSeedSameImagesOtherSeedOtherImages() {
    SyntheticSource a = new SyntheticSource(3, 100, 10, 16, 10);
    SyntheticSource b = new SyntheticSource(3, 100, 10, 16, 10);
    SyntheticSource c = new SyntheticSource(4, 100, 10, 16, 10);
    assertThat(a.train(17).pixels()).isEqualTo(b.train(17).pixels());
    assertThat(a.train(17).label()).isEqualTo(b.train(17).label());
    assertThat(a.train(17).pixels()).isNotEqualTo(c.train(17).pixels());
    assertThat(a.datasetId()).isEqualTo(b.datasetId()).isNotEqualTo(c.datasetId());
  }

  @Test
  void everyClassAppearsAndEvalIdsDifferFromTrainIds() {
    SyntheticSource source = new SyntheticSource(1, 500, 50, 8, 5);
    Set<Integer> labels = new HashSet<>();
    Set<Long> trainIds = new HashSet<>();
    for (int i = 0; i < source.trainSize(); i++) {
      LabelledImage image = source.train(i);
      labels.add(image.label());
      trainIds.add(image.sampleId());
      assertThat(image.pixels()).hasSize(8 * 8 * 3);
    }
    assertThat(labels).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
    for (int i = 0; i < source.evalSize(); i++) {
      assertThat(trainIds).doesNotContain(source.eval(i).sampleId());
    }
  }

  @Test
  void indexOutsideTheSplitIsRefused() {
    SyntheticSource source = new SyntheticSource(1, 10, 2, 8, 2);
    assertThatThrownBy(() -> source.train(10)).hasMessageContaining("outside 0..9");
    assertThatThrownBy(() -> source.eval(-1)).hasMessageContaining("outside 0..1");
  }

  @Test
  void permutationIsAShuffleThatDependsOnlyOnTheSeed() {
    long[] first = FiniteReplay.permutation(1000, 9);
    long[] again = FiniteReplay.permutation(1000, 9);
    long[] other = FiniteReplay.permutation(1000, 10);
    assertThat(first).isEqualTo(again).isNotEqualTo(other);
    assertThat(first).hasSize(1000);
    Set<Long> seen = new HashSet<>();
    for (long v : first) {
      seen.add(v);
    }
    assertThat(seen).hasSize(1000);
  }
}
