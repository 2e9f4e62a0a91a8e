package dev.cardinal.evaluator;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.util.NDImageUtils;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.cardinal.trainer.model.InputTensors;

/**
 * The evaluation view of an image at a resolution, computed on the device: keep the centre square
 * whose side is {@code cropFraction} of the shorter side (rounded; offsets rounded down), resize it
 * bilinearly to {@code resolution} x {@code resolution} and lay it out NCHW, normalized with the
 * trainer's ImageNet channel statistics. The resize is DJL's {@link NDImageUtils#resize} on
 * PyTorch: half-pixel centres ({@code align_corners=false}), and antialiased when downsampling (a
 * triangle filter widened to the scale, as PIL and torchvision's {@code Resize(antialias=True)}
 * do), so a smaller view averages its source pixels instead of skipping some.
 *
 * <p>The crop fraction is 0.875 ({@link #STANDARD_CROP_FRACTION}, the torchvision/timm and
 * ResNet-RS evaluation convention for models trained on random-resized crops) and 1 (the full
 * frame) for CIFAR-style pad-and-crop schedules, whose training never zooms in. Normalization runs
 * once per batch before the crop: crop and bilinear resize are linear with weights summing to one,
 * so the order does not change the result, and every resolution of a batch reuses it.
 */
final class EvalTransform {
  static final double STANDARD_CROP_FRACTION = 0.875;

  /** ImageNet channel statistics on the 0-255 scale, as the trainer's InputTensors uses them. */
  private static final float[] MEAN = {0.485f * 255, 0.456f * 255, 0.406f * 255};

  private static final float[] STD = {0.229f * 255, 0.224f * 255, 0.225f * 255};

  private final NDArray mean;
  private final NDArray std;

  /** The channel statistics live on {@code manager} (its device) for the transform's lifetime. */
  EvalTransform(NDManager manager) {
    this.mean = manager.create(MEAN, new Shape(1, 1, 1, 3));
    this.std = manager.create(STD, new Shape(1, 1, 1, 3));
  }

  /** Uploads a batch as uint8 and returns it normalized, float NHWC with three channels. */
  NDArray normalized(NDManager manager, EvalImages.Batch batch) {
    NDArray x =
        InputTensors.floatPixels(
            manager, batch.pixels(), batch.size(), batch.height(), batch.width(), batch.channels());
    if (batch.channels() == 1) {
      x = x.repeat(3, 3);
    }
    return x.sub(mean).div(std);
  }

  /** The crop side for an image of this size: {@code round(cropFraction * shorter side)}. */
  static int cropSide(int height, int width, double cropFraction) {
    return Math.max(1, (int) Math.round(cropFraction * Math.min(height, width)));
  }

  /**
   * The network input at {@code resolution}.
   *
   * @param normalized what {@link #normalized} returned, NHWC
   */
  static NDArray at(NDArray normalized, int resolution, double cropFraction) {
    Shape shape = normalized.getShape();
    int height = (int) shape.get(1);
    int width = (int) shape.get(2);
    int side = cropSide(height, width, cropFraction);
    NDArray x = normalized;
    if (side != height || side != width) {
      int top = (height - side) / 2;
      int left = (width - side) / 2;
      x = x.get(new NDIndex(":, {}:{}, {}:{}, :", top, top + side, left, left + side));
    }
    if (side != resolution) {
      x = NDImageUtils.resize(x, resolution, resolution, Image.Interpolation.BILINEAR);
    }
    return x.transpose(0, 3, 1, 2);
  }
}
