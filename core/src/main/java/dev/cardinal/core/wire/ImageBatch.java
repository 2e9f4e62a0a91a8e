package dev.cardinal.core.wire;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A batch of same-sized labelled images as it travels through Kafka: uint8 pixels in NHWC order,
 * hard labels (and soft labels once mixup/cutmix has blended them), sample ids and the schedule
 * stamp. Normalization to float happens on the trainer's device, never on the wire.
 *
 * <p>Wire layout (big-endian), version 1:
 *
 * <pre>
 * int   magic 'CIMG'      short version     short flags (bit 0: soft labels present)
 * int   count, height, width, channels, classes
 * int   epoch    long sampleOffset    long epochSize
 * short datasetId length, UTF-8 bytes
 * long[count] sampleIds   int[count] labels
 * float[count*classes] softLabels (if flagged)
 * byte[count*height*width*channels] pixels
 * </pre>
 */
public record ImageBatch(
    String datasetId,
    int height,
    int width,
    int channels,
    int classes,
    long[] sampleIds,
    int[] labels,
    float[] softLabels,
    byte[] pixels,
    ScheduleStamp stamp) {

  public static final int MAGIC = 0x43494D47; // "CIMG"
  public static final short VERSION = 1;
  private static final short FLAG_SOFT_LABELS = 1;
  private static final int FIXED_HEADER_BYTES = 4 + 2 + 2 + 5 * 4 + 4 + 8 + 8 + 2;
  private static final int MAX_SIDE = 16_384;

  public ImageBatch {
    Objects.requireNonNull(datasetId, "datasetId");
    Objects.requireNonNull(sampleIds, "sampleIds");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(pixels, "pixels");
    Objects.requireNonNull(stamp, "stamp");
    int count = sampleIds.length;
    if (height <= 0 || width <= 0 || height > MAX_SIDE || width > MAX_SIDE) {
      throw new IllegalArgumentException(
          "image size must be 1.." + MAX_SIDE + ": " + height + "x" + width);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
    }
    if (classes <= 0) {
      throw new IllegalArgumentException("classes must be > 0, got " + classes);
    }
    if (labels.length != count) {
      throw new IllegalArgumentException(labels.length + " labels for " + count + " samples");
    }
    for (int label : labels) {
      if (label < 0 || label >= classes) {
        throw new IllegalArgumentException("label " + label + " outside 0.." + (classes - 1));
      }
    }
    if (softLabels != null && softLabels.length != count * classes) {
      throw new IllegalArgumentException(
          softLabels.length + " soft labels for " + count + " samples x " + classes + " classes");
    }
    if ((long) pixels.length != (long) count * height * width * channels) {
      throw new IllegalArgumentException(
          pixels.length
              + " pixel bytes for "
              + count
              + "x"
              + height
              + "x"
              + width
              + "x"
              + channels);
    }
  }

  public int size() {
    return sampleIds.length;
  }

  public int imageBytes() {
    return height * width * channels;
  }

  /** A copy with other pixels (same count), e.g. after augmentation changed the size. */
  public ImageBatch withPixels(int newHeight, int newWidth, int newChannels, byte[] newPixels) {
    return new ImageBatch(
        datasetId,
        newHeight,
        newWidth,
        newChannels,
        classes,
        sampleIds,
        labels,
        softLabels,
        newPixels,
        stamp);
  }

  public ImageBatch withSoftLabels(float[] newSoftLabels) {
    return new ImageBatch(
        datasetId,
        height,
        width,
        channels,
        classes,
        sampleIds,
        labels,
        newSoftLabels,
        pixels,
        stamp);
  }

  public byte[] encode() {
    byte[] dataset = datasetId.getBytes(StandardCharsets.UTF_8);
    if (dataset.length > Short.MAX_VALUE) {
      throw new IllegalArgumentException("datasetId longer than " + Short.MAX_VALUE + " bytes");
    }
    int count = size();
    long total =
        (long) FIXED_HEADER_BYTES
            + dataset.length
            + 8L * count
            + 4L * count
            + (softLabels == null ? 0 : 4L * softLabels.length)
            + pixels.length;
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("batch of " + total + " bytes is too large to encode");
    }
    ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.BIG_ENDIAN);
    out.putInt(MAGIC).putShort(VERSION).putShort(softLabels == null ? 0 : FLAG_SOFT_LABELS);
    out.putInt(count).putInt(height).putInt(width).putInt(channels).putInt(classes);
    out.putInt(stamp.epoch()).putLong(stamp.sampleOffset()).putLong(stamp.epochSize());
    out.putShort((short) dataset.length).put(dataset);
    out.asLongBuffer().put(sampleIds);
    out.position(out.position() + 8 * count);
    out.asIntBuffer().put(labels);
    out.position(out.position() + 4 * count);
    if (softLabels != null) {
      out.asFloatBuffer().put(softLabels);
      out.position(out.position() + 4 * softLabels.length);
    }
    out.put(pixels);
    return out.array();
  }

  /**
   * Decodes bytes written by {@link #encode()}.
   *
   * @throws WireFormatException naming what was wrong (magic, version, truncation, sizes)
   */
  public static ImageBatch decode(byte[] bytes) {
    if (bytes == null) {
      throw new WireFormatException("image batch record has no value (null)");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
    // The magic first: a foreign record should be called that, not "truncated".
    if (bytes.length >= 4 && in.getInt(0) != MAGIC) {
      throw new WireFormatException(
          String.format(
              "not an image batch: magic 0x%08X, expected 0x%08X ('CIMG')", in.getInt(0), MAGIC));
    }
    if (bytes.length < FIXED_HEADER_BYTES) {
      throw new WireFormatException(
          "image batch truncated: "
              + bytes.length
              + " bytes, header alone needs "
              + FIXED_HEADER_BYTES);
    }
    in.getInt();
    short version = in.getShort();
    if (version != VERSION) {
      throw new WireFormatException(
          "image batch version "
              + version
              + " is not supported (this build reads "
              + VERSION
              + ")");
    }
    short flags = in.getShort();
    int count = in.getInt();
    int height = in.getInt();
    int width = in.getInt();
    int channels = in.getInt();
    int classes = in.getInt();
    if (count < 0 || height <= 0 || width <= 0 || height > MAX_SIDE || width > MAX_SIDE) {
      throw new WireFormatException(
          "image batch header is corrupt: count=" + count + " size=" + height + "x" + width);
    }
    if (channels != 1 && channels != 3) {
      throw new WireFormatException("image batch header is corrupt: channels=" + channels);
    }
    if (classes <= 0) {
      throw new WireFormatException("image batch header is corrupt: classes=" + classes);
    }
    boolean soft = (flags & FLAG_SOFT_LABELS) != 0;
    long expectedBody =
        8L * count
            + 4L * count
            + (soft ? 4L * count * classes : 0)
            + (long) count * height * width * channels;
    try {
      int epoch = in.getInt();
      long sampleOffset = in.getLong();
      long epochSize = in.getLong();
      int datasetLength = in.getShort();
      if (datasetLength < 0 || datasetLength > in.remaining()) {
        throw new WireFormatException(
            "image batch header is corrupt: dataset id length " + datasetLength);
      }
      byte[] dataset = new byte[datasetLength];
      in.get(dataset);
      if (in.remaining() != expectedBody) {
        throw new WireFormatException(
            "image batch body has "
                + in.remaining()
                + " bytes, header promises "
                + expectedBody
                + " (truncated or corrupt record)");
      }
      long[] sampleIds = new long[count];
      in.asLongBuffer().get(sampleIds);
      in.position(in.position() + 8 * count);
      int[] labels = new int[count];
      in.asIntBuffer().get(labels);
      in.position(in.position() + 4 * count);
      float[] softLabels = null;
      if (soft) {
        softLabels = new float[count * classes];
        in.asFloatBuffer().get(softLabels);
        in.position(in.position() + 4 * softLabels.length);
      }
      byte[] pixels = new byte[count * height * width * channels];
      in.get(pixels);
      return new ImageBatch(
          new String(dataset, StandardCharsets.UTF_8),
          height,
          width,
          channels,
          classes,
          sampleIds,
          labels,
          softLabels,
          pixels,
          new ScheduleStamp(epoch, sampleOffset, epochSize));
    } catch (BufferUnderflowException e) {
      throw new WireFormatException("image batch truncated inside its header", e);
    } catch (IllegalArgumentException e) {
      throw new WireFormatException("image batch is inconsistent: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ImageBatch other
        && datasetId.equals(other.datasetId)
        && height == other.height
        && width == other.width
        && channels == other.channels
        && classes == other.classes
        && Arrays.equals(sampleIds, other.sampleIds)
        && Arrays.equals(labels, other.labels)
        && Arrays.equals(softLabels, other.softLabels)
        && Arrays.equals(pixels, other.pixels)
        && stamp.equals(other.stamp);
  }

  @Override
  public int hashCode() {
    return Objects.hash(datasetId, height, width, channels, stamp, Arrays.hashCode(sampleIds));
  }

  @Override
  public String toString() {
    return "ImageBatch["
        + size()
        + " x "
        + height
        + "x"
        + width
        + "x"
        + channels
        + ", "
        + stamp
        + "]";
  }
}
