package dev.cardinal.core.wire;

import io.soabase.recordbuilder.core.RecordBuilder;
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
 *
 * <p>Copies with other values come from the generated {@link ImageBatchBuilder.With} withers; each
 * goes through the validating constructor.
 */
@RecordBuilder
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
    ScheduleStamp stamp)
    implements ImageBatchBuilder.With {

  public static final int MAGIC = 0x43494D47; // "CIMG"
  public static final short VERSION = 1;
  private static final short FLAG_SOFT_LABELS = 1;
  private static final int FIXED_HEADER_BYTES = 4 + 2 + 2 + 5 * 4 + 4 + 8 + 8 + 2;

  /*
   * Limits of every header field. A record's header is read before anything is allocated from it,
   * so these (with the record's own length) bound what one crafted record can make a stage
   * allocate; each is far above what a real batch needs.
   */

  /** Longest image side in pixels. */
  public static final int MAX_SIDE = 16_384;

  /** Images in one batch (a 16 MiB record holds at most ~1.3M 1x1 grey images). */
  public static final int MAX_COUNT = 65_536;

  /** Classes of a dataset (ImageNet-21k has 21,841). */
  public static final int MAX_CLASSES = 100_000;

  /** UTF-8 bytes of a dataset id. */
  public static final int MAX_DATASET_ID_BYTES = 1024;

  public ImageBatch {
    Objects.requireNonNull(datasetId, "datasetId");
    Objects.requireNonNull(sampleIds, "sampleIds");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(pixels, "pixels");
    Objects.requireNonNull(stamp, "stamp");
    int count = sampleIds.length;
    if (count > MAX_COUNT) {
      throw new IllegalArgumentException(
          count + " images in one batch, over the limit of " + MAX_COUNT);
    }
    if (datasetId.getBytes(StandardCharsets.UTF_8).length > MAX_DATASET_ID_BYTES) {
      throw new IllegalArgumentException(
          "datasetId longer than " + MAX_DATASET_ID_BYTES + " UTF-8 bytes");
    }
    if (height <= 0 || width <= 0 || height > MAX_SIDE || width > MAX_SIDE) {
      throw new IllegalArgumentException(
          "image size must be 1.." + MAX_SIDE + ": " + height + "x" + width);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
    }
    if (classes <= 0 || classes > MAX_CLASSES) {
      throw new IllegalArgumentException("classes must be 1.." + MAX_CLASSES + ", got " + classes);
    }
    if (labels.length != count) {
      throw new IllegalArgumentException(labels.length + " labels for " + count + " samples");
    }
    for (int label : labels) {
      if (label < 0 || label >= classes) {
        throw new IllegalArgumentException("label " + label + " outside 0.." + (classes - 1));
      }
    }
    if (softLabels != null && softLabels.length != (long) count * classes) {
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

  /**
   * A copy with other pixels (same count), e.g. after augmentation changed the size. The size and
   * the pixels change together because the constructor checks that they agree.
   */
  public ImageBatch withPixels(int newHeight, int newWidth, int newChannels, byte[] newPixels) {
    return with(
        batch -> batch.height(newHeight).width(newWidth).channels(newChannels).pixels(newPixels));
  }

  public byte[] encode() {
    byte[] dataset = datasetId.getBytes(StandardCharsets.UTF_8);
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
    if ((flags & ~FLAG_SOFT_LABELS) != 0) {
      throw new WireFormatException(
          String.format("image batch header is corrupt: unknown flags 0x%04X", flags));
    }
    int count = headerField("count", in.getInt(), 0, MAX_COUNT);
    int height = headerField("height", in.getInt(), 1, MAX_SIDE);
    int width = headerField("width", in.getInt(), 1, MAX_SIDE);
    int channels = in.getInt();
    if (channels != 1 && channels != 3) {
      throw new WireFormatException(
          "image batch header is corrupt: channels=" + channels + " is not 1 (grey) or 3 (RGB)");
    }
    int classes = headerField("classes", in.getInt(), 1, MAX_CLASSES);
    int epoch = headerField("epoch", in.getInt(), 0, ScheduleStamp.MAX_EPOCH);
    long sampleOffset =
        headerField("sampleOffset", in.getLong(), 0, ScheduleStamp.MAX_SAMPLE_OFFSET);
    long epochSize = headerField("epochSize", in.getLong(), 0, ScheduleStamp.MAX_EPOCH_SIZE);
    int datasetLength = headerField("dataset id length", in.getShort(), 0, MAX_DATASET_ID_BYTES);
    boolean soft = (flags & FLAG_SOFT_LABELS) != 0;
    long expectedBody;
    try {
      long pixelBytes =
          Math.multiplyExact(
              Math.multiplyExact(Math.multiplyExact((long) count, height), width), channels);
      long softLabelBytes =
          soft ? Math.multiplyExact(4L, Math.multiplyExact((long) count, classes)) : 0;
      expectedBody =
          Math.addExact(
              Math.addExact(
                  Math.addExact(datasetLength, Math.multiplyExact(12L, count)), softLabelBytes),
              pixelBytes);
    } catch (ArithmeticException e) {
      // Unreachable with the limits above; kept so a raised limit cannot bring the overflow back.
      throw new WireFormatException("image batch header is corrupt: its sizes overflow", e);
    }
    // Before any array is allocated: the record itself must hold everything its header promises.
    if (in.remaining() != expectedBody) {
      throw new WireFormatException(
          "image batch body has "
              + in.remaining()
              + " bytes, header promises "
              + expectedBody
              + " (count="
              + count
              + " size="
              + height
              + "x"
              + width
              + "x"
              + channels
              + " classes="
              + classes
              + (soft ? " with soft labels" : "")
              + "; truncated or corrupt record)");
    }
    try {
      byte[] dataset = new byte[datasetLength];
      in.get(dataset);
      long[] sampleIds = new long[count];
      in.asLongBuffer().get(sampleIds);
      in.position(in.position() + 8 * count);
      int[] labels = new int[count];
      in.asIntBuffer().get(labels);
      in.position(in.position() + 4 * count);
      float[] softLabels = null;
      if (soft) {
        softLabels = new float[Math.multiplyExact(count, classes)];
        in.asFloatBuffer().get(softLabels);
        in.position(in.position() + 4 * softLabels.length);
      }
      byte[] pixels = new byte[Math.toIntExact(in.remaining())];
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

  /** The header value when it lies in {@code min..max}; else names the field and its limits. */
  private static int headerField(String field, int value, int min, int max) {
    return (int) headerField(field, (long) value, min, max);
  }

  private static long headerField(String field, long value, long min, long max) {
    if (value < min || value > max) {
      throw new WireFormatException(
          "image batch header is corrupt: "
              + field
              + "="
              + value
              + " is outside the limits "
              + min
              + ".."
              + max);
    }
    return value;
  }

  /**
   * Checks that this batch can be fed to a run's model: same class count and colour channels. A
   * batch of another dataset on the same topic would otherwise fail deep inside the loss or the
   * network; as a {@link WireFormatException} it goes to the stage's dead-letter topic instead.
   *
   * @param expectedClasses classes of the run's model
   * @param expectedChannels channels the run was started with (1 grey, 3 RGB)
   * @return this batch
   * @throws WireFormatException naming the field that differs and what to do
   */
  public ImageBatch requireFits(int expectedClasses, int expectedChannels) {
    if (classes != expectedClasses) {
      throw new WireFormatException(
          "image batch of dataset '"
              + datasetId
              + "' has "
              + classes
              + " classes but this run's model has "
              + expectedClasses
              + ": the batch belongs to another dataset; train a separate run on it");
    }
    if (channels != expectedChannels) {
      throw new WireFormatException(
          "image batch of dataset '"
              + datasetId
              + "' has "
              + channels
              + " channels but this run takes "
              + expectedChannels
              + " ("
              + (expectedChannels == 1 ? "grey" : "RGB")
              + "): the batch belongs to another dataset; train a separate run on it");
    }
    return this;
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
