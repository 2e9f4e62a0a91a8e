package dev.cardinal.augment;

import dev.cardinal.augment.ops.Image;
import dev.cardinal.augment.ops.MixCut;
import dev.cardinal.augment.ops.RandAugment;
import dev.cardinal.augment.ops.RandomErasing;
import dev.cardinal.augment.ops.RandomResizedCrop;
import dev.cardinal.augment.ops.Resample;
import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.schedule.ScheduleStage;
import dev.cardinal.core.wire.ImageBatch;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Augments one batch as the schedule stage of its stamp says: per image a crop (RandomResizedCrop,
 * or the CIFAR pad-and-crop) with flip to the stage's resolution, RandAugment and random erasing;
 * then mixup or cutmix across the batch. Every random choice comes from the seed, the epoch and the
 * sample id (the batch's first sample id for the batch-level ones), so a rerun gives the same
 * pixels wherever and in whatever order the batches are augmented.
 */
public final class Augmenter {
  private final long seed;
  private final Schedule schedule;
  private final boolean rgb;
  private final OpTimes times;
  private final ConcurrentHashMap<Integer, Schedule> nativeSchedules = new ConcurrentHashMap<>();

  /**
   * @param schedule the run's schedule, or null to keep each batch's own size (the fixed schedule
   *     at the input's native resolution)
   * @param rgb turn grey images into RGB
   */
  public Augmenter(long seed, Schedule schedule, boolean rgb, OpTimes times) {
    this.seed = seed;
    this.schedule = schedule;
    this.rgb = rgb;
    this.times = times;
  }

  public Augmenter(long seed, Schedule schedule) {
    this(seed, schedule, false, new OpTimes());
  }

  public OpTimes times() {
    return times;
  }

  /** The stage this batch is augmented with. */
  public ScheduleStage stageFor(ImageBatch batch) {
    Schedule s =
        schedule != null
            ? schedule
            : nativeSchedules.computeIfAbsent(
                Math.min(batch.height(), batch.width()), Schedule::fixed);
    return s.at(batch.stamp());
  }

  public ImageBatch augment(ImageBatch batch) {
    ScheduleStage stage = stageFor(batch);
    boolean keepNative = schedule == null;
    int outH = keepNative ? batch.height() : stage.trainResolution();
    int outW = keepNative ? batch.width() : stage.trainResolution();
    int channels = rgb ? 3 : batch.channels();
    RandomResizedCrop rrc = RandomResizedCrop.IMAGENET.withScaleMin(stage.cropScaleMin());
    CropFlip padCrop = stage.cropPadding() > 0 ? new CropFlip(stage.cropPadding()) : null;
    RandAugment ra =
        stage.randAugment()
            ? new RandAugment(
                stage.randAugmentMagnitude(),
                stage.randAugmentOps(),
                stage.randAugmentMagnitudeStd())
            : null;
    RandomErasing erasing =
        stage.randomErasing() > 0 ? new RandomErasing(stage.randomErasing()) : null;
    RandAugment.Timer timer = (op, ns) -> times.add(op.timmName, ns);

    int count = batch.size();
    int outBytes = outH * outW * channels;
    byte[] out = new byte[count * outBytes];
    for (int i = 0; i < count; i++) {
      SplittableRandom random =
          CropFlip.randomFor(seed, batch.stamp().epoch(), batch.sampleIds()[i]);
      long t0 = System.nanoTime();
      Image img = Image.of(batch.pixels(), i, batch.height(), batch.width(), batch.channels());
      if (padCrop != null) {
        byte[] shifted = new byte[img.pixels().length];
        padCrop.apply(
            img.pixels(), 0, shifted, 0, img.height(), img.width(), img.channels(), random);
        img = img.withPixels(shifted);
        if (img.height() != outH || img.width() != outW) {
          img = Resample.resize(img, outH, outW);
        }
      } else {
        img = rrc.apply(img, outH, outW, random);
      }
      long t1 = System.nanoTime();
      times.add("crop_flip", t1 - t0);
      if (rgb) {
        img = Resample.toRgb(img);
        times.add("grey_to_rgb", System.nanoTime() - t1);
      }
      if (ra != null) {
        img = ra.apply(img, random, timer);
      }
      if (erasing != null) {
        long t2 = System.nanoTime();
        img = erasing.apply(img, random);
        times.add("random_erasing", System.nanoTime() - t2);
      }
      System.arraycopy(img.pixels(), 0, out, i * outBytes, outBytes);
    }
    ImageBatch result = batch.withPixels(outH, outW, channels, out);
    MixCut mix = new MixCut(stage.mixupAlpha(), stage.cutmixAlpha());
    if (mix.active()) {
      long t0 = System.nanoTime();
      SplittableRandom random =
          CropFlip.randomFor(seed ^ 0x5DEECE66DL, batch.stamp().epoch(), batch.sampleIds()[0]);
      MixCut.Result r =
          mix.apply(
              out,
              count,
              outH,
              outW,
              channels,
              batch.classes(),
              batch.labels(),
              batch.softLabels(),
              random);
      result = result.withPixels(outH, outW, channels, r.pixels()).withSoftLabels(r.softLabels());
      times.add(r.cutmix() ? "cutmix" : "mixup", System.nanoTime() - t0);
    }
    return result;
  }

  /**
   * The evaluation transform for a whole batch: centre crop covering {@code cropFraction} of the
   * shorter side, resized to {@code size x size}, grey turned to RGB when {@code rgb}.
   */
  public static ImageBatch centerCrop(
      ImageBatch batch, int size, double cropFraction, boolean rgb) {
    int channels = rgb ? 3 : batch.channels();
    int outBytes = size * size * channels;
    byte[] out = new byte[batch.size() * outBytes];
    for (int i = 0; i < batch.size(); i++) {
      Image img = Image.of(batch.pixels(), i, batch.height(), batch.width(), batch.channels());
      img = Resample.centerCrop(img, size, cropFraction);
      if (rgb) {
        img = Resample.toRgb(img);
      }
      System.arraycopy(img.pixels(), 0, out, i * outBytes, outBytes);
    }
    return batch.withPixels(size, size, channels, out);
  }
}
