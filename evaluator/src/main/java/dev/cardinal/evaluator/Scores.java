package dev.cardinal.evaluator;

/**
 * Accumulates classification scores over batches of logits: top-1, top-5 and mean negative
 * log-likelihood of the true class (log-softmax computed stably in double).
 */
public final class Scores {
  private long images;
  private long top1;
  private long top5;
  private double nllSum;

  /**
   * @param logits row-major {@code [n, classes]}
   */
  public void add(float[] logits, int[] labels, int classes) {
    int n = labels.length;
    if (logits.length != n * classes) {
      throw new IllegalArgumentException(
          logits.length + " logits for " + n + " images x " + classes + " classes");
    }
    for (int i = 0; i < n; i++) {
      int base = i * classes;
      int label = labels[i];
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, logits[base + c]);
      }
      double sumExp = 0;
      int higher = 0;
      float target = logits[base + label];
      for (int c = 0; c < classes; c++) {
        sumExp += Math.exp(logits[base + c] - max);
        // Ties count against the true class, so a constant output never scores.
        if (c != label && logits[base + c] >= target) {
          higher++;
        }
      }
      double logProb = target - max - Math.log(sumExp);
      nllSum -= logProb;
      if (higher == 0) {
        top1++;
      }
      if (higher < 5) {
        top5++;
      }
      images++;
    }
  }

  public long images() {
    return images;
  }

  public double top1() {
    return images == 0 ? Double.NaN : (double) top1 / images;
  }

  public double top5() {
    return images == 0 ? Double.NaN : (double) top5 / images;
  }

  public double nll() {
    return images == 0 ? Double.NaN : nllSum / images;
  }
}
