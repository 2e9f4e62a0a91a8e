package dev.cardinal.augment.ops;

/**
 * One uint8 image, HWC, 1 (grey) or 3 (RGB) channels. Ops take one and return a new one; the pixels
 * of the input are never modified.
 */
public record Image(byte[] pixels, int height, int width, int channels) {

  public Image {
    if ((long) height * width * channels != pixels.length) {
      throw new IllegalArgumentException(
          pixels.length + " bytes for " + height + "x" + width + "x" + channels);
    }
  }

  /** Copies image {@code index} of a batch of same-sized images. */
  public static Image of(byte[] batchPixels, int index, int height, int width, int channels) {
    int bytes = height * width * channels;
    byte[] copy = new byte[bytes];
    System.arraycopy(batchPixels, index * bytes, copy, 0, bytes);
    return new Image(copy, height, width, channels);
  }

  public int at(int y, int x, int c) {
    return pixels[(y * width + x) * channels + c] & 0xFF;
  }

  public Image withPixels(byte[] newPixels) {
    return new Image(newPixels, height, width, channels);
  }
}
