package dev.cardinal.ingest;

import java.util.SplittableRandom;

/**
 * Generated images a ResNet can learn: each class has its own colour and stripe frequency, and
 * every sample gets its own phase, stripe angle jitter and pixel noise. Deterministic in the seed
 * and the sample id, so a replay or a second process produces the same pixels.
 */
public final class SyntheticSource implements ImageSource {
  private static final long EVAL_ID_BASE = 1L << 40;
  private final long seed;
  private final long trainSize;
  private final long evalSize;
  private final int size;
  private final int classes;

  public SyntheticSource(long seed, long trainSize, long evalSize, int size, int classes) {
    if (trainSize <= 0 || evalSize < 0 || size < 8 || classes < 2) {
      throw new IllegalArgumentException(
          "synthetic source needs trainSize > 0, evalSize >= 0, size >= 8, classes >= 2");
    }
    this.seed = seed;
    this.trainSize = trainSize;
    this.evalSize = evalSize;
    this.size = size;
    this.classes = classes;
  }

  @Override
  public String datasetId() {
    return "synthetic-s" + seed + "-n" + trainSize + "-" + size + "px-" + classes + "c";
  }

  @Override
  public String describe() {
    return "synthetic images (seed "
        + seed
        + ", "
        + trainSize
        + " train, "
        + evalSize
        + " eval, "
        + size
        + "x"
        + size
        + " RGB, "
        + classes
        + " classes)";
  }

  @Override
  public int classes() {
    return classes;
  }

  @Override
  public long trainSize() {
    return trainSize;
  }

  @Override
  public long evalSize() {
    return evalSize;
  }

  @Override
  public LabelledImage train(long index) {
    return render(checkIndex(index, trainSize));
  }

  @Override
  public LabelledImage eval(long index) {
    return render(EVAL_ID_BASE + checkIndex(index, evalSize));
  }

  private static long checkIndex(long index, long limit) {
    if (index < 0 || index >= limit) {
      throw new IndexOutOfBoundsException("sample " + index + " outside 0.." + (limit - 1));
    }
    return index;
  }

  private LabelledImage render(long sampleId) {
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + sampleId);
    int label = random.nextInt(classes);
    double hue = (double) label / classes;
    double[] colour = hueToRgb(hue);
    double frequency = 0.25 + 0.15 * (label % 3);
    double angle = random.nextDouble(-0.3, 0.3);
    double phase = random.nextDouble(0, 2 * Math.PI);
    double cos = Math.cos(angle);
    double sin = Math.sin(angle);
    byte[] pixels = new byte[size * size * 3];
    int i = 0;
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        double wave = 0.5 + 0.5 * Math.sin(frequency * (x * cos + y * sin) + phase);
        for (int c = 0; c < 3; c++) {
          double value = 255 * (0.25 + 0.6 * colour[c] * wave) + random.nextDouble(-24, 24);
          pixels[i++] = (byte) Math.max(0, Math.min(255, (int) value));
        }
      }
    }
    return new LabelledImage(sampleId, label, size, size, 3, pixels);
  }

  private static double[] hueToRgb(double hue) {
    double r = Math.abs(hue * 6 - 3) - 1;
    double g = 2 - Math.abs(hue * 6 - 2);
    double b = 2 - Math.abs(hue * 6 - 4);
    return new double[] {clamp(r), clamp(g), clamp(b)};
  }

  private static double clamp(double v) {
    return Math.max(0, Math.min(1, v));
  }
}
