package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.testing.TestServices;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourcesTest {
  private static final SourceSettings SETTINGS = SourceSettings.defaults(3);

  @Test
  void everySchemeOpensItsReader() {
    Path idx = TestServices.tempDir("spec-idx");
    TestFiles.idx(idx, "train", 10, 4, 4, 10, true);
    Path cifar = TestServices.tempDir("spec-cifar");
    TestFiles.write(cifar.resolve("data_batch_1.bin"), TestFiles.cifarRecords(3, 1, 10), false);
    Path folder = TestServices.tempDir("spec-folder");
    TestFiles.rgbImage(folder.resolve("a/1.png"), 8, 8, 1);
    TestFiles.rgbImage(folder.resolve("b/1.png"), 8, 8, 1);
    assertThat(Sources.parse("idx:" + idx, SETTINGS)).isInstanceOf(IdxSource.class);
    assertThat(Sources.parse(" cifar:" + cifar, SETTINGS)).isInstanceOf(CifarSource.class);
    assertThat(Sources.parse("folder:" + folder, SETTINGS)).isInstanceOf(FolderSource.class);
    assertThat(Sources.parse("watch:" + folder, SETTINGS)).isInstanceOf(WatchSource.class);
    assertThat(Sources.parse("synthetic", SETTINGS)).isInstanceOf(SyntheticSource.class);
    ImageSource synthetic = (ImageSource) Sources.parse("synthetic:500", SETTINGS);
    assertThat(synthetic.trainSize()).isEqualTo(500);
  }

  @Test
  void badSpecsFailWithOneClearLine() {
    Path empty = TestServices.tempDir("spec-empty");
    for (String[] c :
        List.of(
            new String[] {"mnist:/x", "unknown kind 'mnist'"},
            new String[] {"idx:", "give the dataset folder after 'idx:'"},
            new String[] {"folder:" + empty.resolve("missing"), "no such folder"},
            new String[] {"cifar:" + empty, "folder is empty"},
            new String[] {"watch:" + empty, "folder is empty"},
            new String[] {"synthetic:ten", "must be a whole number"},
            new String[] {"  ", "--source is empty"})) {
      assertThatThrownBy(() -> Sources.parse(c[0], SETTINGS))
          .as(c[0])
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(c[1])
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
  }

  @Test
  void defaultIsFashionMnistWhenItsFilesExist() {
    Path dir = TestServices.tempDir("spec-default");
    assertThat(Sources.defaultSpec(dir)).isEqualTo("synthetic");
    TestFiles.idx(dir, "train", 2, 2, 2, 2, true);
    assertThat(Sources.defaultSpec(dir)).isEqualTo("idx:" + dir);
  }

  @Test
  void batchPlanGroupsEqualShapesAndTilesTheSplit() {
    ImageShape small = new ImageShape(4, 4, 3);
    ImageShape big = new ImageShape(8, 8, 3);
    long[] order = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    List<BatchPlan.Batch> plan =
        BatchPlan.of(order, i -> i % 3 == 0 ? big : small, 2, 8 * 8 * 3 * 10);
    assertThat(plan).extracting(BatchPlan.Batch::start).containsExactly(0L, 2L, 4L, 6L, 8L);
    assertThat(plan.get(0).indices()).containsExactly(1, 2);
    assertThat(plan.get(1).indices()).containsExactly(0, 3);
    // a byte cap under two big images makes them single-image batches
    assertThat(BatchPlan.limit(big, 64, 8 * 8 * 3 + 1)).isEqualTo(1);
  }

  @Test
  void progressBarShowsRateAndEta() {
    String line = ProgressBar.render(250, 1000, 50, "epoch 1/2");
    assertThat(line)
        .contains(" 25.0%")
        .contains("250/1,000 images")
        .contains("50 img/s")
        .contains("ETA 0:15")
        .contains("epoch 1/2");
    assertThat(ProgressBar.render(10, 0, 5, "watching"))
        .doesNotContain("ETA")
        .contains("10 images");
  }
}
