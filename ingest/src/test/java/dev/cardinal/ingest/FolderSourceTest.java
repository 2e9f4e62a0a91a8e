package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.testing.TestServices;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FolderSourceTest {
  private static final SourceSettings ALL_TRAIN = new SourceSettings(1, 0, 50);

  /** cat: RGB JPEG, grey PNG, RGBA PNG; dog: JPEG and a wide PNG over the cap; three bad files. */
  static Path mixedFolder() {
    Path dir = TestServices.tempDir("folder");
    TestFiles.rgbImage(dir.resolve("cat/a.jpg"), 40, 30, 0x2080C0);
    TestFiles.save(
        TestFiles.image(20, 20, BufferedImage.TYPE_BYTE_GRAY, 77), "png", dir.resolve("cat/b.png"));
    TestFiles.save(
        TestFiles.image(20, 20, BufferedImage.TYPE_INT_ARGB, 0x80C80000),
        "png",
        dir.resolve("cat/c.png"));
    TestFiles.rgbImage(dir.resolve("dog/d.jpg"), 40, 30, 0x10F010);
    TestFiles.rgbImage(dir.resolve("dog/e.png"), 100, 50, 0x0000FF);
    TestFiles.write(dir.resolve("dog/notes.txt"), "not an image".getBytes(), false);
    TestFiles.write(dir.resolve("dog/broken.jpg"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, false);
    byte[] png =
        TestFiles.encoded(TestFiles.image(30, 30, BufferedImage.TYPE_INT_RGB, 0x123456), "png");
    TestFiles.write(dir.resolve("dog/cut.png"), Arrays.copyOf(png, png.length / 2), false);
    return dir;
  }

  @Test
  void mixedSizesAndColourModelsDecodeToRgbAtNativeSizeUnderTheCap() {
    FolderSource source = FolderSource.open(mixedFolder(), ALL_TRAIN);
    assertThat(source.classNames()).containsExactly("cat", "dog");
    assertThat(source.evalSize()).isZero();
    assertThat(source.problems())
        .extracting(BadInput::origin)
        .anySatisfy(o -> assertThat(o).endsWith("notes.txt"))
        .anySatisfy(o -> assertThat(o).endsWith("broken.jpg"));
    Map<String, LabelledImage> byShape = new HashMap<>();
    List<String> bad = new ArrayList<>();
    for (int i = 0; i < source.trainSize(); i++) {
      try {
        LabelledImage image = source.train(i);
        ImageShape planned = source.trainShape(i);
        assertThat(new ImageShape(image.height(), image.width(), image.channels()))
            .isEqualTo(planned);
        byShape.put(
            image.height()
                + "x"
                + image.width()
                + ":"
                + image.label()
                + ":"
                + (image.pixels()[0] & 0xff),
            image);
      } catch (BadImageException e) {
        bad.add(e.origin() + " " + e.getMessage());
      }
    }
    assertThat(bad)
        .singleElement()
        .satisfies(b -> assertThat(b).contains("cut.png").contains("undecodable"));
    assertThat(byShape).hasSize(5);
    // grey PNG replicated to RGB with its raw value
    assertThat(byShape.get("20x20:0:77").pixels()).startsWith(77, 77, 77);
    // RGBA (200,0,0) at alpha 128 composited over white
    LabelledImage rgba =
        byShape.values().stream()
            .filter(i -> i.height() == 20 && (i.pixels()[0] & 0xff) > 200)
            .findFirst()
            .orElseThrow();
    assertThat(rgba.pixels()[1] & 0xff).isBetween(125, 129);
    // 100x50 over the 50 px cap: 50 wide, 25 high, still blue
    LabelledImage wide = byShape.get("25x50:1:0");
    assertThat(wide.channels()).isEqualTo(3);
    assertThat(wide.pixels()[2] & 0xff).isEqualTo(255);
    assertThat(byShape.keySet()).anySatisfy(k -> assertThat(k).startsWith("30x40:0:"));
  }

  @Test
  void allGreyFolderStaysOneChannelAndTheHashSplitIsStable() {
    Path dir = TestServices.tempDir("folder-grey");
    for (int i = 0; i < 40; i++) {
      TestFiles.save(
          TestFiles.image(8, 8, BufferedImage.TYPE_BYTE_GRAY, i * 5),
          "png",
          dir.resolve((i % 2 == 0 ? "even" : "odd") + "/" + i + ".png"));
    }
    SourceSettings half = new SourceSettings(1, 0.5, 512);
    FolderSource source = FolderSource.open(dir, half);
    assertThat(source.train(0).channels()).isEqualTo(1);
    assertThat(source.trainSize() + source.evalSize()).isEqualTo(40);
    assertThat(source.evalSize()).isBetween(8L, 32L);
    FolderSource again = FolderSource.open(dir, half);
    assertThat(again.evalSize()).isEqualTo(source.evalSize());
    assertThat(again.datasetId()).isEqualTo(source.datasetId());
    assertThat(again.eval(0).pixels()).isEqualTo(source.eval(0).pixels());
  }

  @Test
  void trainAndTestSubfoldersGiveTheSplit() {
    Path dir = TestServices.tempDir("folder-split");
    TestFiles.rgbImage(dir.resolve("train/a/1.png"), 8, 8, 1);
    TestFiles.rgbImage(dir.resolve("train/b/2.png"), 8, 8, 2);
    TestFiles.rgbImage(dir.resolve("test/b/3.png"), 8, 8, 3);
    FolderSource source = FolderSource.open(dir, SourceSettings.defaults(1));
    assertThat(source.trainSize()).isEqualTo(2);
    assertThat(source.evalSize()).isEqualTo(1);
    assertThat(source.eval(0).label()).isEqualTo(1);
  }

  @Test
  void folderWithoutClassSubfoldersFailsWithOneLine() {
    Path dir = TestServices.tempDir("folder-flat");
    TestFiles.rgbImage(dir.resolve("1.png"), 8, 8, 1);
    assertThatThrownBy(() -> FolderSource.open(dir, ALL_TRAIN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no class subfolders");
  }
}
