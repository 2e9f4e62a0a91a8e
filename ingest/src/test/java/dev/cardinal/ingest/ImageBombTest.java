package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cardinal.core.testing.Await;
import dev.cardinal.core.testing.TestServices;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Images that would take ingest down if decoded blindly: a 30000x30000 PNG of ~110 KB (900 MB as
 * grey bytes, 2.7 GB as RGB, past an int array's size) and a cut-off file. Each becomes a bad input
 * naming the file and why; the other images still ingest.
 */
class ImageBombTest {
  private static final int BOMB_SIDE = 30_000;

  /** cat: an RGB PNG and the bomb; dog: an RGB JPEG and a PNG cut in half. */
  static Path folderWithABombAndACutImage() {
    Path dir = TestServices.tempDir("bomb-folder");
    TestFiles.rgbImage(dir.resolve("cat/a.png"), 12, 10, 0x336699);
    TestFiles.write(dir.resolve("cat/bomb.png"), TestFiles.pngBomb(BOMB_SIDE, BOMB_SIDE), false);
    TestFiles.rgbImage(dir.resolve("dog/d.jpg"), 12, 10, 0x996633);
    byte[] png =
        TestFiles.encoded(TestFiles.image(30, 30, BufferedImage.TYPE_INT_RGB, 0x123456), "png");
    TestFiles.write(dir.resolve("dog/cut.png"), Arrays.copyOf(png, png.length / 2), false);
    return dir;
  }

  @Test
  void theBombIsSmallOnDiskAndAValidPngHeader() throws Exception {
    Path file = TestServices.tempDir("bomb").resolve("bomb.png");
    TestFiles.write(file, TestFiles.pngBomb(BOMB_SIDE, BOMB_SIDE), false);
    assertThat(Files.size(file)).isLessThan(1 << 20);
    // Only the header is refused: the reader sees a real 30000x30000 image.
    assertThatThrownBy(() -> ImageFiles.probe(file))
        .isInstanceOf(BadImageException.class)
        .hasMessageContaining("image is 30000x30000");
  }

  @Test
  void decodeRefusesTheBombFromItsHeaderNamingItsSizeAndTheLimit() throws Exception {
    Path bomb = folderWithABombAndACutImage().resolve("cat/bomb.png");
    long bytes = Files.size(bomb);
    for (int channels : new int[] {1, 3}) {
      assertThatThrownBy(() -> ImageFiles.decode(bomb, channels, 512))
          .isInstanceOf(BadImageException.class)
          .satisfies(e -> assertThat(((BadImageException) e).origin()).isEqualTo(bomb.toString()))
          .hasMessage(
              "image is 30000x30000 (900000000 pixels, file of "
                  + bytes
                  + " bytes), over the limit of 50000000 pixels ingest decodes per image; scale it"
                  + " down before adding it (--max-side applies after decoding)");
    }
  }

  @Test
  void aFolderReportsTheBombAndTheCutImageAndIngestsTheRest() {
    FolderSource source =
        FolderSource.open(folderWithABombAndACutImage(), new SourceSettings(1, 0, 64));
    TestFiles.assertOneProblem(source.problems(), "bomb.png", "30000x30000", "over the limit");
    List<String> decoded = new ArrayList<>();
    List<BadInput> bad = new ArrayList<>();
    for (int i = 0; i < source.trainSize(); i++) {
      try {
        LabelledImage image = source.train(i);
        decoded.add(image.label() + ":" + image.height() + "x" + image.width());
      } catch (BadImageException e) {
        bad.add(e.asBadInput());
      }
    }
    assertThat(decoded).containsExactlyInAnyOrder("0:10x12", "1:10x12");
    TestFiles.assertOneProblem(bad, "cut.png", "undecodable");
  }

  @Test
  void aWatchedFolderTurnsTheBombAndTheCutImageIntoBadArrivals() throws Exception {
    Path dir = TestServices.tempDir("bomb-watch");
    TestFiles.rgbImage(dir.resolve("cat/a.png"), 12, 10, 0x336699);
    Files.createDirectories(dir.resolve("dog"));
    WatchSource source = WatchSource.open(dir, new SourceSettings(1, 0, 64));
    // Dropped in after start, as a camera or a labelling queue would.
    TestFiles.write(dir.resolve("cat/bomb.png"), TestFiles.pngBomb(BOMB_SIDE, BOMB_SIDE), false);
    byte[] png =
        TestFiles.encoded(TestFiles.image(30, 30, BufferedImage.TYPE_INT_RGB, 0x123456), "png");
    TestFiles.write(dir.resolve("dog/cut.png"), Arrays.copyOf(png, png.length / 2), false);
    TestFiles.rgbImage(dir.resolve("dog/d.jpg"), 12, 10, 0x996633);
    // Settled files: written a minute ago, so the watcher takes them on its second look.
    FileTime settled = FileTime.from(Instant.now().minusSeconds(60));
    for (String file : List.of("cat/a.png", "cat/bomb.png", "dog/cut.png", "dog/d.jpg")) {
      Files.setLastModifiedTime(dir.resolve(file), settled);
    }

    List<ImageStream.Arrival> arrivals = new ArrayList<>();
    Await.until(
        Duration.ofSeconds(30),
        "the 4 files of the watched folder",
        () -> {
          arrivals.addAll(source.poll(Duration.ofSeconds(1), relative -> false));
          return arrivals.size() >= 4;
        });

    assertThat(arrivals).hasSize(4);
    assertThat(arrivals.stream().filter(a -> a.image() != null).map(ImageStream.Arrival::key))
        .containsExactlyInAnyOrder("cat/a.png", "dog/d.jpg");
    List<ImageStream.Arrival> bad = arrivals.stream().filter(a -> a.image() == null).toList();
    assertThat(bad)
        .anySatisfy(
            a -> {
              assertThat(a.key()).endsWith("bomb.png");
              assertThat(a.badReason()).contains("30000x30000").contains("over the limit");
            })
        .anySatisfy(
            a -> {
              assertThat(a.key()).endsWith("cut.png");
              assertThat(a.badReason()).contains("undecodable");
            });
  }
}
