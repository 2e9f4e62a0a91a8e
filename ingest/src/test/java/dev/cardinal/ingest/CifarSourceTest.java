package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.testing.TestServices;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CifarSourceTest {

  @Test
  void cifar10BatchesComeOutHwcWithTheirLabels() {
    Path dir = TestServices.tempDir("cifar10").resolve("cifar-10-batches-bin");
    TestFiles.write(dir.resolve("data_batch_1.bin"), TestFiles.cifarRecords(7, 1, 10), false);
    TestFiles.write(dir.resolve("data_batch_2.bin"), TestFiles.cifarRecords(5, 1, 10), false);
    TestFiles.write(dir.resolve("test_batch.bin"), TestFiles.cifarRecords(4, 1, 10), false);
    CifarSource source = CifarSource.open(dir.getParent());
    assertThat(source.classes()).isEqualTo(10);
    assertThat(source.trainSize()).isEqualTo(12);
    assertThat(source.evalSize()).isEqualTo(4);
    LabelledImage image = source.train(9); // record 2 of the second file
    assertThat(image.label()).isEqualTo(2);
    assertThat(image.height()).isEqualTo(32);
    assertThat(image.channels()).isEqualTo(3);
    // pixel 5: R = record index, G = 100 + label, B = pixel index
    assertThat(Arrays.copyOfRange(image.pixels(), 15, 18)).containsExactly(2, 102, 5);
  }

  @Test
  void cifar100UsesTheFineLabelAndReportsATruncatedFile() {
    Path dir = TestServices.tempDir("cifar100");
    byte[] records = TestFiles.cifarRecords(6, 2, 100);
    TestFiles.write(dir.resolve("train.bin"), Arrays.copyOf(records, records.length - 100), false);
    TestFiles.write(dir.resolve("test.bin"), TestFiles.cifarRecords(2, 2, 100), false);
    CifarSource source = CifarSource.open(dir);
    assertThat(source.classes()).isEqualTo(100);
    assertThat(source.trainSize()).isEqualTo(5);
    assertThat(source.train(4).label()).isEqualTo(4);
    assertThat(source.problems())
        .singleElement()
        .satisfies(p -> assertThat(p.reason()).contains("truncated").contains("using the first 5"));
  }

  @Test
  void folderWithoutCifarFilesFails() {
    Path dir = TestServices.tempDir("cifar-none");
    TestFiles.write(dir.resolve("readme.txt"), new byte[] {1}, false);
    assertThatThrownBy(() -> CifarSource.open(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no CIFAR binary files");
  }
}
