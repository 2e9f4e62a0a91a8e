package dev.cardinal.evaluator;

import dev.cardinal.core.wire.ImageBatch;

/**
 * The evaluation view computed without the engine: centre crop; bilinear resize as PIL and
 * PyTorch's antialiased {@code interpolate} do it (a separable triangle filter whose support widens
 * with the scale when downsampling, and plain half-pixel bilinear when upsampling); the trainer's
 * normalization; NCHW.
 */
final class PlainJavaTransform {
  private static final double[] MEAN = {0.485 * 255, 0.456 * 255, 0.406 * 255};
  private static final double[] STD = {0.229 * 255, 0.224 * 255, 0.225 * 255};

  private PlainJavaTransform() {}

  /** All images of the batch, {@code [n, 3, r, r]} row-major. */
  static float[] chw(ImageBatch batch, int resolution, double cropFraction) {
    int per = 3 * resolution * resolution;
    float[] out = new float[batch.size() * per];
    for (int i = 0; i < batch.size(); i++) {
      System.arraycopy(chw(batch, i, resolution, cropFraction), 0, out, i * per, per);
    }
    return out;
  }

  static float[] chw(ImageBatch batch, int image, int resolution, double cropFraction) {
    int h = batch.height();
    int w = batch.width();
    int side = (int) Math.round(cropFraction * Math.min(h, w));
    int top = (h - side) / 2;
    int left = (w - side) / 2;
    double[][] rows = weights(side, resolution);
    int[] rowStart = starts(side, resolution);
    float[] chw = new float[3 * resolution * resolution];
    for (int c = 0; c < 3; c++) {
      // Horizontal pass over the crop's rows, then vertical.
      double[][] horizontal = new double[side][resolution];
      for (int y = 0; y < side; y++) {
        for (int x = 0; x < resolution; x++) {
          double v = 0;
          for (int k = 0; k < rows[x].length; k++) {
            v += rows[x][k] * px(batch, image, top + y, left + rowStart[x] + k, c);
          }
          horizontal[y][x] = v;
        }
      }
      for (int y = 0; y < resolution; y++) {
        for (int x = 0; x < resolution; x++) {
          double v = 0;
          for (int k = 0; k < rows[y].length; k++) {
            v += rows[y][k] * horizontal[rowStart[y] + k][x];
          }
          chw[(c * resolution + y) * resolution + x] = (float) ((v - MEAN[c]) / STD[c]);
        }
      }
    }
    return chw;
  }

  private static int[] starts(int in, int out) {
    double scale = (double) in / out;
    double support = Math.max(scale, 1.0);
    int[] starts = new int[out];
    for (int i = 0; i < out; i++) {
      double center = scale * (i + 0.5);
      starts[i] = Math.max((int) (center - support + 0.5), 0);
    }
    return starts;
  }

  /** Normalized triangle-filter weights of the source pixels of each output pixel. */
  private static double[][] weights(int in, int out) {
    double scale = (double) in / out;
    double support = Math.max(scale, 1.0);
    double invScale = scale >= 1.0 ? 1.0 / scale : 1.0;
    int[] starts = starts(in, out);
    double[][] weights = new double[out][];
    for (int i = 0; i < out; i++) {
      double center = scale * (i + 0.5);
      int size = Math.min((int) (center + support + 0.5), in) - starts[i];
      double[] w = new double[size];
      double total = 0;
      for (int k = 0; k < size; k++) {
        double t = Math.abs((k + starts[i] - center + 0.5) * invScale);
        w[k] = t < 1 ? 1 - t : 0;
        total += w[k];
      }
      for (int k = 0; k < size; k++) {
        w[k] /= total;
      }
      weights[i] = w;
    }
    return weights;
  }

  private static int px(ImageBatch batch, int image, int y, int x, int c) {
    int channels = batch.channels();
    return batch.pixels()[image * batch.imageBytes() + (y * batch.width() + x) * channels + c]
        & 0xFF;
  }
}
