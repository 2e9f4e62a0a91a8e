package dev.cardinal.ingest;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/**
 * Image files through javax.imageio: the header alone for the size, or the whole image as uint8
 * HWC, grey or RGB (alpha composited over white), scaled down so its longer side fits a cap.
 */
final class ImageFiles {
  /**
   * Pixels one image may have to be decoded: its header is checked before any pixel is read.
   * Decoding holds the image and its converted copy at full size (up to ~4 bytes a pixel each)
   * before the side cap shrinks it, and a PNG of 30000x30000 compresses to a few hundred KB; 50
   * megapixels is above any camera photo a dataset holds, and bounds one decode to a few hundred
   * MB.
   */
  static final long MAX_DECODED_PIXELS = 50_000_000;

  private ImageFiles() {}

  static {
    ImageIO.setUseCache(false);
  }

  /**
   * Whether a file name looks like an image ingest reads (others in class folders are reported).
   */
  static boolean isImageName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".jpg")
        || lower.endsWith(".jpeg")
        || lower.endsWith(".png")
        || lower.endsWith(".bmp")
        || lower.endsWith(".gif");
  }

  static boolean isHidden(Path file) {
    String name = file.getFileName().toString();
    return name.startsWith(".") || name.endsWith("~");
  }

  /** Native size and colour (1 = grey, 3 = colour) from the header, without decoding pixels. */
  static ImageShape probe(Path file) {
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      ImageReader reader = reader(file, in);
      try {
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        int channels = 3;
        try {
          ImageTypeSpecifier type = reader.getRawImageType(0);
          if (type != null
              && type.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            channels = 1;
          }
        } catch (IOException | RuntimeException e) {
          // Some decoders cannot tell before decoding; colour is the safe guess.
        }
        requireDecodable(file, width, height);
        return new ImageShape(height, width, channels);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      throw asBad(file, e);
    }
  }

  /** The size an image of native {@code height x width} is sent at under the cap. */
  static ImageShape capped(ImageShape nativeShape, int channels, int maxSide) {
    int h = nativeShape.height();
    int w = nativeShape.width();
    int longer = Math.max(h, w);
    if (longer > maxSide) {
      double scale = (double) maxSide / longer;
      h = Math.max(1, (int) Math.round(h * scale));
      w = Math.max(1, (int) Math.round(w * scale));
    }
    return new ImageShape(h, w, channels);
  }

  /**
   * Decodes to {@code channels} (1 or 3) and scales down to the cap.
   *
   * @throws BadImageException for an unreadable, undecodable, truncated or too large file, and for
   *     one whose decoding ran out of memory: one file never stops ingest
   */
  static Pixels decode(Path file, int channels, int maxSide) {
    try {
      BufferedImage image = read(file);
      int h = image.getHeight();
      int w = image.getWidth();
      byte[] pixels = channels == 1 ? grey(image) : rgb(image);
      ImageShape target = capped(new ImageShape(h, w, channels), channels, maxSide);
      if (target.height() != h || target.width() != w) {
        pixels = shrink(pixels, h, w, channels, target.height(), target.width());
      }
      return new Pixels(target.height(), target.width(), channels, pixels);
    } catch (OutOfMemoryError e) {
      // Only this decode's arrays are lost; they are unreachable once it unwinds.
      throw new BadImageException(
          file.toString(),
          "ran out of memory decoding it ("
              + fileSize(file)
              + "); scale it down, or give ingest more heap (-Xmx)",
          e);
    } catch (IOException | RuntimeException e) {
      throw asBad(file, e);
    }
  }

  /** The whole image, after its header showed a size within {@link #MAX_DECODED_PIXELS}. */
  private static BufferedImage read(Path file) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      ImageReader reader = reader(file, in);
      List<String> warnings = new ArrayList<>();
      reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
      BufferedImage image;
      try {
        requireDecodable(file, reader.getWidth(0), reader.getHeight(0));
        image = reader.read(0);
      } finally {
        reader.dispose();
      }
      if (!warnings.isEmpty()) {
        // The JPEG decoder fills a cut-off file with grey and only warns.
        throw new BadImageException(file.toString(), "corrupt or truncated: " + warnings.get(0));
      }
      return image;
    }
  }

  /** Refuses a header size that is empty or over the pixel budget, before pixels are read. */
  private static void requireDecodable(Path file, int width, int height) {
    if (width <= 0 || height <= 0) {
      throw new BadImageException(file.toString(), "image header says " + width + "x" + height);
    }
    long pixels = (long) width * height;
    if (pixels > MAX_DECODED_PIXELS) {
      throw new BadImageException(
          file.toString(),
          "image is "
              + width
              + "x"
              + height
              + " ("
              + pixels
              + " pixels, "
              + fileSize(file)
              + "), over the limit of "
              + MAX_DECODED_PIXELS
              + " pixels ingest decodes per image; scale it down before adding it (--max-side"
              + " applies after decoding)");
    }
  }

  private static String fileSize(Path file) {
    try {
      return "file of " + Files.size(file) + " bytes";
    } catch (IOException e) {
      return "file size unknown";
    }
  }

  record Pixels(int height, int width, int channels, byte[] bytes) {}

  private static ImageReader reader(Path file, ImageInputStream in) throws IOException {
    if (in == null) {
      throw new BadImageException(file.toString(), "unreadable file");
    }
    Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
    if (!readers.hasNext()) {
      throw new BadImageException(
          file.toString(),
          Files.size(file) == 0
              ? "empty file"
              : "not a JPEG or PNG image (no decoder recognises its content)");
    }
    ImageReader reader = readers.next();
    reader.setInput(in, true, true);
    return reader;
  }

  private static BadImageException asBad(Path file, Exception e) {
    if (e instanceof BadImageException bad) {
      return bad;
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (!Files.isReadable(file)) {
      return new BadImageException(file.toString(), "unreadable file: " + message, e);
    }
    return new BadImageException(file.toString(), "undecodable image: " + message, e);
  }

  private static boolean isGrey(BufferedImage image) {
    return image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
  }

  private static byte[] grey(BufferedImage image) {
    int h = image.getHeight();
    int w = image.getWidth();
    byte[] out = new byte[h * w];
    if (isGrey(image)) {
      // Raw samples: Java2D's conversions would apply a linear-grey gamma and change the values.
      Raster raster = image.getRaster();
      int bits = image.getColorModel().getComponentSize(0);
      int max = (1 << bits) - 1;
      boolean alpha = raster.getNumBands() > 1 && image.getColorModel().hasAlpha();
      int alphaMax = alpha ? (1 << image.getColorModel().getComponentSize(1)) - 1 : 1;
      int[] row = new int[w];
      int[] alphas = alpha ? new int[w] : null;
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, 0, row);
        if (alpha) {
          raster.getSamples(0, y, w, 1, 1, alphas);
        }
        for (int x = 0; x < w; x++) {
          int v = max == 255 ? row[x] : (row[x] * 255 + max / 2) / max;
          if (alpha) {
            v = over(v, alphas[x], alphaMax);
          }
          out[y * w + x] = (byte) v;
        }
      }
      return out;
    }
    forEachPixelOverWhite(
        image, (i, c) -> out[i] = (byte) ((299 * c[0] + 587 * c[1] + 114 * c[2] + 500) / 1000));
    return out;
  }

  private static byte[] rgb(BufferedImage image) {
    int h = image.getHeight();
    int w = image.getWidth();
    byte[] out = new byte[h * w * 3];
    if (image.getType() == BufferedImage.TYPE_3BYTE_BGR
        && image.getRaster().getDataBuffer() instanceof DataBufferByte buffer
        && image.getSampleModel() instanceof ComponentSampleModel model
        && model.getScanlineStride() == w * 3
        && image.getRaster().getSampleModelTranslateX() == 0
        && image.getRaster().getSampleModelTranslateY() == 0) {
      byte[] bgr = buffer.getData();
      for (int i = 0; i < h * w * 3; i += 3) {
        out[i] = bgr[i + 2];
        out[i + 1] = bgr[i + 1];
        out[i + 2] = bgr[i];
      }
      return out;
    }
    if (isGrey(image)) {
      byte[] grey = grey(image);
      for (int i = 0; i < grey.length; i++) {
        out[3 * i] = grey[i];
        out[3 * i + 1] = grey[i];
        out[3 * i + 2] = grey[i];
      }
      return out;
    }
    forEachPixelOverWhite(
        image,
        (i, c) -> {
          out[3 * i] = (byte) c[0];
          out[3 * i + 1] = (byte) c[1];
          out[3 * i + 2] = (byte) c[2];
        });
    return out;
  }

  /** Receives one pixel: its index in row-major order and its red, green and blue. */
  private interface PixelSink {
    void accept(int index, int[] rgb);
  }

  /** The general path of both conversions: every pixel in sRGB, composited over white. */
  private static void forEachPixelOverWhite(BufferedImage image, PixelSink sink) {
    int h = image.getHeight();
    int w = image.getWidth();
    int[] argb = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, argb, 0, w);
      for (int x = 0; x < w; x++) {
        sink.accept(y * w + x, overWhite(argb[x]));
      }
    }
  }

  private static int[] overWhite(int argb) {
    int a = argb >>> 24;
    return new int[] {
      over((argb >> 16) & 0xff, a, 255), over((argb >> 8) & 0xff, a, 255), over(argb & 0xff, a, 255)
    };
  }

  private static int over(int value, int alpha, int alphaMax) {
    if (alpha >= alphaMax) {
      return value;
    }
    return (value * alpha + 255 * (alphaMax - alpha) + alphaMax / 2) / alphaMax;
  }

  /** Box filter: each output pixel is the mean of the input pixels it covers. */
  static byte[] shrink(byte[] in, int h, int w, int c, int nh, int nw) {
    byte[] out = new byte[nh * nw * c];
    long[] sum = new long[c];
    for (int oy = 0; oy < nh; oy++) {
      int y0 = (int) ((long) oy * h / nh);
      int y1 = Math.max(y0 + 1, (int) ((long) (oy + 1) * h / nh));
      for (int ox = 0; ox < nw; ox++) {
        int x0 = (int) ((long) ox * w / nw);
        int x1 = Math.max(x0 + 1, (int) ((long) (ox + 1) * w / nw));
        java.util.Arrays.fill(sum, 0);
        for (int y = y0; y < y1; y++) {
          int base = (y * w + x0) * c;
          for (int x = x0; x < x1; x++, base += c) {
            for (int k = 0; k < c; k++) {
              sum[k] += in[base + k] & 0xff;
            }
          }
        }
        long n = (long) (y1 - y0) * (x1 - x0);
        int o = (oy * nw + ox) * c;
        for (int k = 0; k < c; k++) {
          out[o + k] = (byte) ((sum[k] + n / 2) / n);
        }
      }
    }
    return out;
  }
}
