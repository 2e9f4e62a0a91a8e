package dev.cardinal.evaluator;

import dev.cardinal.core.event.Scores;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Accumulates classification scores over batches of logits: top-1, top-5, mean negative
 * log-likelihood of the true class (log-softmax computed stably in double), expected calibration
 * error and per-class accuracy.
 *
 * <p>A tie with the true class counts as a miss, so a constant output never scores. Calibration
 * follows Guo et al. (2017): the confidence of an image is its largest softmax probability, images
 * fall into {@value #CALIBRATION_BINS} equal-width bins {@code (k/15, (k+1)/15]}, and ECE is the
 * image-weighted mean over bins of |accuracy − mean confidence|.
 */
public final class ScoreTally {
  public static final int CALIBRATION_BINS = 15;

  private final int classes;
  private long images;
  private long top1;
  private long top5;
  private double nllSum;
  private final long[] binCount = new long[CALIBRATION_BINS];
  private final long[] binCorrect = new long[CALIBRATION_BINS];
  private final double[] binConfidence = new double[CALIBRATION_BINS];
  private final long[] classCount;
  private final long[] classCorrect;
  private long singleViewImages;
  private long singleViewTop1;

  public ScoreTally(int classes) {
    if (classes < 1) {
      throw new IllegalArgumentException("scores need at least one class, got " + classes);
    }
    this.classes = classes;
    this.classCount = new long[classes];
    this.classCorrect = new long[classes];
  }

  /**
   * @param logits row-major {@code [n, classes]}
   * @throws IllegalArgumentException if the shapes disagree or a label is outside the classes
   */
  public void add(float[] logits, int[] labels) {
    int n = labels.length;
    checkShape(logits, n);
    for (int i = 0; i < n; i++) {
      int base = i * classes;
      int label = labels[i];
      int higher = higher(logits, base, label); // checks the label
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, logits[base + c]);
      }
      double sumExp = 0;
      float target = logits[base + label];
      for (int c = 0; c < classes; c++) {
        sumExp += Math.exp(logits[base + c] - max);
      }
      double logSumExp = max + Math.log(sumExp);
      nllSum += logSumExp - target;
      boolean correct = higher == 0;
      if (correct) {
        top1++;
        classCorrect[label]++;
      }
      if (higher < 5) {
        top5++;
      }
      classCount[label]++;
      // The largest logit's probability is exp(max - logSumExp) = 1 / sumExp.
      double confidence = 1.0 / sumExp;
      int bin = bin(confidence);
      binCount[bin]++;
      binConfidence[bin] += confidence;
      if (correct) {
        binCorrect[bin]++;
      }
      images++;
    }
  }

  /**
   * Counts the top-1 of each image's own prediction when {@link #add} is given predictions averaged
   * over the image and its mirror: what the flip added shows as {@link Scores#singleViewTop1}.
   */
  public void addSingleView(float[] logits, int[] labels) {
    checkShape(logits, labels.length);
    for (int i = 0; i < labels.length; i++) {
      if (higher(logits, i * classes, labels[i]) == 0) {
        singleViewTop1++;
      }
    }
    singleViewImages += labels.length;
  }

  private void checkShape(float[] logits, int images) {
    if (logits.length != images * classes) {
      throw new IllegalArgumentException(
          logits.length + " logits for " + images + " images x " + classes + " classes");
    }
  }

  /** How many other classes score at least as high as the true one (a tie is a miss). */
  private int higher(float[] logits, int base, int label) {
    if (label < 0 || label >= classes) {
      throw new IllegalArgumentException(
          "label " + label + " outside the model's " + classes + " classes");
    }
    float target = logits[base + label];
    int higher = 0;
    for (int c = 0; c < classes; c++) {
      if (c != label && logits[base + c] >= target) {
        higher++;
      }
    }
    return higher;
  }

  /** The bin of a confidence in (0, 1]: {@code (k/15, (k+1)/15]} is bin k. */
  static int bin(double confidence) {
    int bin = (int) Math.ceil(confidence * CALIBRATION_BINS) - 1;
    return Math.max(0, Math.min(CALIBRATION_BINS - 1, bin));
  }

  public int classes() {
    return classes;
  }

  public long images() {
    return images;
  }

  public double top1() {
    return images == 0 ? Double.NaN : (double) top1 / images;
  }

  /**
   * The top-1 of each image alone: the single-view count when {@link #add} was given predictions
   * averaged with the mirror, else {@link #top1}. A train-eval gap compares this one, since the
   * trainer counts its own top-1 one view at a time.
   */
  public double oneViewTop1() {
    return singleViewImages == 0 ? top1() : (double) singleViewTop1 / singleViewImages;
  }

  public double top5() {
    return images == 0 ? Double.NaN : (double) top5 / images;
  }

  public double nll() {
    return images == 0 ? Double.NaN : nllSum / images;
  }

  /** Expected calibration error over {@value #CALIBRATION_BINS} equal-width confidence bins. */
  public double ece() {
    if (images == 0) {
      return Double.NaN;
    }
    double ece = 0;
    for (int b = 0; b < CALIBRATION_BINS; b++) {
      if (binCount[b] > 0) {
        double accuracy = (double) binCorrect[b] / binCount[b];
        double confidence = binConfidence[b] / binCount[b];
        ece += (double) binCount[b] / images * Math.abs(accuracy - confidence);
      }
    }
    return ece;
  }

  /** Top-1 accuracy per class; null for a class with no images. */
  public List<Double> perClassAccuracy() {
    List<Double> out = new ArrayList<>(classes);
    for (int c = 0; c < classes; c++) {
      out.add(classCount[c] == 0 ? null : (double) classCorrect[c] / classCount[c]);
    }
    return Collections.unmodifiableList(out);
  }

  /** The scores tallied so far, as evaluation events carry them. */
  public Scores scores() {
    Double singleView = singleViewImages == 0 ? null : oneViewTop1();
    return new Scores(images, top1(), top5(), nll(), ece(), perClassAccuracy(), singleView);
  }
}
