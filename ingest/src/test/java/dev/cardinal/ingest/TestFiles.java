package dev.cardinal.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;

/** Writes small datasets in each format the readers take, and checks the problems they report. */
final class TestFiles {

  /**
   * Asserts that {@code problems} is one problem, with a file whose name ends in {@code
   * originSuffix}, for a reason that contains every one of {@code reasonParts}.
   */
  static void assertOneProblem(
      List<BadInput> problems, String originSuffix, String... reasonParts) {
    assertThat(problems)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.origin()).endsWith(originSuffix);
              assertThat(p.reason()).contains(reasonParts);
            });
  }

  private TestFiles() {}

  /** IDX images: pixel (i, y, x) = (i + y * width + x) mod 256; label i mod classes. */
  static void idx(Path dir, String split, int count, int h, int w, int classes, boolean gz) {
    byte[] pixels = new byte[count * h * w];
    for (int i = 0; i < count; i++) {
      for (int p = 0; p < h * w; p++) {
        pixels[i * h * w + p] = (byte) (i + p);
      }
    }
    byte[] labels = new byte[count];
    for (int i = 0; i < count; i++) {
      labels[i] = (byte) (i % classes);
    }
    idxSplit(dir, split, idxBytes(0x803, new int[] {count, h, w}, pixels), labels, gz);
  }

  /**
   * The image and label files of one IDX split: {@code images} as given (a test may break its
   * header), the labels as a well-formed label file.
   */
  static void idxSplit(Path dir, String split, byte[] images, byte[] labels, boolean gz) {
    String suffix = gz ? ".gz" : "";
    write(dir.resolve(split + "-images-idx3-ubyte" + suffix), images, gz);
    write(
        dir.resolve(split + "-labels-idx1-ubyte" + suffix),
        idxBytes(0x801, new int[] {labels.length}, labels),
        gz);
  }

  static byte[] idxBytes(int magic, int[] dims, byte[] data) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(magic);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static void write(Path file, byte[] bytes, boolean gz) {
    try {
      Files.createDirectories(file.getParent());
      try (OutputStream out =
          gz ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
        out.write(bytes);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * CIFAR records: label bytes then planar R, G, B planes where R = i, G = 100 + label, B = pixel.
   */
  static byte[] cifarRecords(int count, int labelBytes, int classes) {
    int record = labelBytes + 3072;
    byte[] out = new byte[count * record];
    for (int i = 0; i < count; i++) {
      int base = i * record;
      int label = i % classes;
      if (labelBytes == 2) {
        out[base] = (byte) (label / 5);
      }
      out[base + labelBytes - 1] = (byte) label;
      for (int p = 0; p < 1024; p++) {
        out[base + labelBytes + p] = (byte) i;
        out[base + labelBytes + 1024 + p] = (byte) (100 + label);
        out[base + labelBytes + 2048 + p] = (byte) p;
      }
    }
    return out;
  }

  /** An image with a flat colour (r, g, b), and alpha when {@code type} has it. */
  static BufferedImage image(int w, int h, int type, int argb) {
    BufferedImage image = new BufferedImage(w, h, type);
    if (type == BufferedImage.TYPE_BYTE_GRAY) {
      byte[] grey = new byte[w * h];
      Arrays.fill(grey, (byte) (argb & 0xff));
      image.getRaster().setDataElements(0, 0, w, h, grey);
      return image;
    }
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, argb);
      }
    }
    return image;
  }

  /** An RGB image of one colour saved at {@code file} in the format its extension names. */
  static Path rgbImage(Path file, int width, int height, int rgb) {
    String name = file.getFileName().toString();
    return save(
        image(width, height, BufferedImage.TYPE_INT_RGB, rgb),
        name.substring(name.lastIndexOf('.') + 1),
        file);
  }

  static Path save(BufferedImage image, String format, Path file) {
    try {
      Files.createDirectories(file.getParent());
      if (!ImageIO.write(image, format, file.toFile())) {
        throw new IllegalStateException("no writer for " + format);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] encoded(BufferedImage image, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, format, out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A decompression bomb: a valid PNG of {@code width x height} black pixels at 1 bit per pixel,
   * whose zlib stream of zero rows is ~1000x smaller than the 1-bit rows and ~8000x smaller than
   * the bytes a decoder makes of it (30000x30000: ~110 KB on disk, 900 MB as grey bytes).
   */
  static byte[] pngBomb(int width, int height) {
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    try {
      file.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
      // IHDR: size, bit depth 1, colour type 0 (grey), deflate, adaptive filtering, no interlace.
      ByteBuffer header = ByteBuffer.allocate(13).putInt(width).putInt(height);
      header.put((byte) 1).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
      pngChunk(file, "IHDR", header.array());
      ByteArrayOutputStream idat = new ByteArrayOutputStream();
      int rowBytes = 1 + (width + 7) / 8; // filter type 0, then the packed pixels
      byte[] rows = new byte[rowBytes * 64];
      Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
      try (DeflaterOutputStream z = new DeflaterOutputStream(idat, deflater, 1 << 16)) {
        for (int y = 0; y < height; y += 64) {
          z.write(rows, 0, rowBytes * Math.min(64, height - y));
        }
      } finally {
        deflater.end();
      }
      pngChunk(file, "IDAT", idat.toByteArray());
      pngChunk(file, "IEND", new byte[0]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file.toByteArray();
  }

  private static void pngChunk(ByteArrayOutputStream out, String type, byte[] data)
      throws IOException {
    DataOutputStream chunk = new DataOutputStream(out);
    chunk.writeInt(data.length);
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    chunk.write(typeBytes);
    chunk.write(data);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    chunk.writeInt((int) crc.getValue());
  }
}
