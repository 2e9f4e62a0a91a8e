package dev.cardinal.trainer.model;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.util.NDImageUtils;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.cardinal.core.wire.ImageBatch;
import java.nio.ByteBuffer;

/**
 * Turns a batch's uint8 HWC pixels into the network's normalized NCHW float input on the manager's
 * device. The bytes cross to the device as uint8 (4x less than float) and the conversion runs
 * there. Grey images are repeated to three channels.
 */
public final class InputTensors {
  /** ImageNet channel statistics, the torchvision and timm convention. */
  private static final float[] MEAN = {0.485f * 255, 0.456f * 255, 0.406f * 255};

  private static final float[] STD = {0.229f * 255, 0.224f * 255, 0.225f * 255};

  private InputTensors() {}

  public static NDArray images(NDManager manager, ImageBatch batch) {
    return images(manager, batch, 0);
  }

  /**
   * The batch at {@code resolution} x {@code resolution}: resized bilinearly on the device when the
   * batch has another size (0 keeps the batch's size). Input needs no gradient, so the resize is
   * off the autograd path.
   */
  public static NDArray images(NDManager manager, ImageBatch batch, int resolution) {
    NDArray hwc =
        floatPixels(
            manager, batch.pixels(), batch.size(), batch.height(), batch.width(), batch.channels());
    if (resolution > 0 && (resolution != batch.height() || resolution != batch.width())) {
      hwc = NDImageUtils.resize(hwc, resolution, resolution, Image.Interpolation.BILINEAR);
    }
    NDArray x = hwc.transpose(0, 3, 1, 2);
    if (batch.channels() == 1) {
      x = x.repeat(1, 3);
    }
    NDArray mean = manager.create(MEAN, new Shape(1, 3, 1, 1));
    NDArray std = manager.create(STD, new Shape(1, 3, 1, 1));
    return x.sub(mean).div(std);
  }

  /**
   * Uint8 NHWC pixels as float32 values 0..255 on the manager's device: the bytes cross as uint8
   * and are converted there.
   */
  public static NDArray floatPixels(
      NDManager manager, byte[] pixels, int size, int height, int width, int channels) {
    // manager.create(byte[]) would be INT8 (200 becomes -56): wrap as UINT8 explicitly.
    return manager
        .create(ByteBuffer.wrap(pixels), new Shape(size, height, width, channels), DataType.UINT8)
        .toType(DataType.FLOAT32, false);
  }

  public static NDArray labels(NDManager manager, ImageBatch batch) {
    return manager.create(batch.labels());
  }
}
