package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.testing.TestServices;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class IdxSourceTest {

  @Test
  void readsGzippedAndRawFilesWithTheTestSplitAsEval() throws Exception {
    Path dir = TestServices.tempDir("idx");
    TestFiles.idx(dir, "train", 50, 6, 5, 10, true);
    TestFiles.idx(dir, "t10k", 12, 6, 5, 10, false);
    IdxSource source = IdxSource.open(dir);
    assertThat(source.trainSize()).isEqualTo(50);
    assertThat(source.evalSize()).isEqualTo(12);
    assertThat(source.classes()).isEqualTo(10);
    assertThat(source.problems()).isEmpty();
    LabelledImage image = source.train(13);
    assertThat(image.label()).isEqualTo(3);
    assertThat(image.height()).isEqualTo(6);
    assertThat(image.width()).isEqualTo(5);
    assertThat(image.channels()).isEqualTo(1);
    assertThat(image.pixels()[0]).isEqualTo((byte) 13);
    assertThat(image.pixels()[29]).isEqualTo((byte) 42);
    assertThat(source.eval(0).sampleId()).isNotEqualTo(source.train(0).sampleId());
    assertThat(IdxSource.open(dir).datasetId()).isEqualTo(source.datasetId());
    assertThat(Files.list(dir).count()).isEqualTo(4);
  }

  @Test
  void wrongMagicInTheTestFileIsReportedAndTrainGoesOn() {
    IdxSource source =
        withBrokenTestSplit(
            "idx-magic", TestFiles.idxBytes(0x0D03, new int[] {3, 4, 4}, new byte[48]), 3, false);
    TestFiles.assertOneProblem(
        source.problems(), "t10k-images-idx3-ubyte", "wrong IDX magic number 0x00000D03");
  }

  @Test
  void truncatedFileKeepsItsCompleteImages() throws Exception {
    Path dir = TestServices.tempDir("idx-cut");
    TestFiles.idx(dir, "train", 30, 4, 4, 10, false);
    Path images = dir.resolve("train-images-idx3-ubyte");
    byte[] bytes = Files.readAllBytes(images);
    Files.write(images, java.util.Arrays.copyOf(bytes, 16 + 16 * 21 + 7));
    IdxSource source = IdxSource.open(dir);
    assertThat(source.trainSize()).isEqualTo(21);
    assertThat(source.problems())
        .anySatisfy(
            p ->
                assertThat(p.reason())
                    .contains("truncated: header promises 30 items, file holds 21"));
  }

  @Test
  void missingEmptyOrUnusableFolderFailsWithOneLine() {
    Path empty = TestServices.tempDir("idx-empty");
    assertThatThrownBy(() -> IdxSource.open(empty.resolve("nope")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no such folder");
    assertThatThrownBy(() -> IdxSource.open(empty)).hasMessageContaining("folder is empty");
    TestFiles.idxSplit(
        empty,
        "train",
        TestFiles.idxBytes(0x1234, new int[] {1, 2, 2}, new byte[4]),
        new byte[1],
        false);
    assertThatThrownBy(() -> IdxSource.open(empty))
        .hasMessageContaining("no usable train images")
        .hasMessageContaining("wrong IDX magic")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void aGzipTestFileWhoseHeaderPromisesMoreThanTheCapIsSkippedAndTrainGoesOn() {
    // 10^9 images of 28x28: 784 GB promised by a file of a few dozen bytes.
    IdxSource source =
        withBrokenTestSplit(
            "idx-promise",
            TestFiles.idxBytes(0x803, new int[] {1_000_000_000, 28, 28}, new byte[28 * 28]),
            1,
            true);
    assertThat(source.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.origin()).endsWith("t10k-images-idx3-ubyte.gz");
              assertThat(p.reason())
                  .isEqualTo(
                      "IDX header promises 1000000000 items of 784 bytes (784000000016 bytes),"
                          + " over the limit of 1073741824 bytes ingest holds in memory per file;"
                          + " use an image folder for a dataset this large");
            });
  }

  @Test
  void aGzipStreamThatInflatesBeyondWhatItsHeaderPromisesIsRefused() {
    // The header says 2 images of 4x4 (32 bytes); the stream inflates to 8 MB of them.
    IdxSource source =
        withBrokenTestSplit(
            "idx-inflate",
            TestFiles.idxBytes(0x803, new int[] {2, 4, 4}, new byte[8 << 20]),
            2,
            true);
    assertThat(source.problems())
        .singleElement()
        .satisfies(
            p ->
                assertThat(p.reason())
                    .isEqualTo(
                        "gzip stream inflates beyond the 48 bytes its IDX header promises (2 items"
                            + " of 16 bytes): corrupt or not the file it claims to be; skipped"));
    // The train images still read as written.
    assertThat(source.train(13).pixels()[0]).isEqualTo((byte) 13);
  }

  /**
   * Opens a dataset of 20 good train images and a test split whose image file is {@code testImages}
   * (with that many labels): the train split reads whole and the test split not at all.
   */
  private static IdxSource withBrokenTestSplit(
      String name, byte[] testImages, int testLabels, boolean gz) {
    Path dir = TestServices.tempDir(name);
    TestFiles.idx(dir, "train", 20, 4, 4, 10, gz);
    TestFiles.idxSplit(dir, "t10k", testImages, new byte[testLabels], gz);
    IdxSource source = IdxSource.open(dir);
    assertThat(source.trainSize()).isEqualTo(20);
    assertThat(source.evalSize()).isZero();
    return source;
  }
}
