package dev.cardinal.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.cardinal.core.schedule.Schedule;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.core.wire.ScheduleStamp;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AugmenterTest {

  static ImageBatch batch(int count, int size, int channels, long firstId, ScheduleStamp stamp) {
    Random random = new Random(firstId);
    byte[] pixels = new byte[count * size * size * channels];
    random.nextBytes(pixels);
    long[] ids = new long[count];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      ids[i] = firstId + i;
      labels[i] = i % 10;
    }
    return new ImageBatch("t", size, size, channels, 10, ids, labels, null, pixels, stamp);
  }

  private static byte[] image(ImageBatch b, int i) {
    int n = b.imageBytes();
    return Arrays.copyOfRange(b.pixels(), i * n, (i + 1) * n);
  }

  @Test
  void sameSeedEpochAndSampleGiveSamePixelsWhateverTheBatch() {
    Augmenter aug = new Augmenter(7, Schedule.preset("resnet-rs"));
    ScheduleStamp stamp = new ScheduleStamp(3, 0, 1000);
    ImageBatch whole = batch(4, 48, 3, 100, stamp);
    // The same samples in another batch, in another order.
    int n = whole.imageBytes();
    byte[] swapped = new byte[2 * n];
    System.arraycopy(whole.pixels(), 3 * n, swapped, 0, n);
    System.arraycopy(whole.pixels(), n, swapped, n, n);
    ImageBatch other =
        new ImageBatch(
            "t", 48, 48, 3, 10, new long[] {103, 101}, new int[] {3, 1}, null, swapped, stamp);
    ImageBatch a = aug.augment(whole);
    ImageBatch b = new Augmenter(7, Schedule.preset("resnet-rs")).augment(other);
    assertThat(image(b, 0)).isEqualTo(image(a, 3));
    assertThat(image(b, 1)).isEqualTo(image(a, 1));
    ImageBatch nextEpoch = aug.augment(batch(4, 48, 3, 100, new ScheduleStamp(4, 0, 1000)));
    assertThat(image(nextEpoch, 1)).isNotEqualTo(image(a, 1));
    ImageBatch otherSeed = new Augmenter(8, Schedule.preset("resnet-rs")).augment(whole);
    assertThat(image(otherSeed, 1)).isNotEqualTo(image(a, 1));
  }

  @Test
  void resolutionAndMixingFollowTheStamp() {
    Augmenter aug = new Augmenter(1, Schedule.preset("progressive"), true, new OpTimes());
    ImageBatch early = aug.augment(batch(6, 40, 1, 0, new ScheduleStamp(10, 0, 100)));
    assertThat(early.height()).isEqualTo(160);
    assertThat(early.channels()).isEqualTo(3);
    assertThat(early.softLabels()).isNull(); // mixup off early
    ImageBatch late = aug.augment(batch(6, 40, 1, 0, new ScheduleStamp(80, 0, 100)));
    assertThat(late.height()).isEqualTo(192);
    assertThat(late.softLabels()).hasSize(6 * 10);
    for (int i = 0; i < 6; i++) {
      double sum = 0;
      for (int k = 0; k < 10; k++) {
        sum += late.softLabels()[i * 10 + k];
      }
      assertThat(sum).isCloseTo(1, within(1e-5));
    }
    assertThat(aug.times().shares()).containsKeys("crop_flip", "grey_to_rgb");
    assertThat(aug.times().shares().values().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(1, within(1e-9));
  }

  @Test
  void withoutAScheduleTheNativeSizeStaysAndCifarImagesArePadCropped() {
    Augmenter aug = new Augmenter(42, null);
    ImageBatch in = batch(4, 32, 3, 0, new ScheduleStamp(0, 0, 32));
    ImageBatch out = aug.augment(in);
    assertThat(out.height()).isEqualTo(32);
    assertThat(out.softLabels()).isNull();
    // Same as the skeleton's pad-4 crop and flip.
    CropFlip cf = new CropFlip(4);
    byte[] expected = new byte[in.imageBytes()];
    cf.apply(in.pixels(), 0, expected, 0, 32, 32, 3, CropFlip.randomFor(42, 0, 0));
    assertThat(image(out, 0)).isEqualTo(expected);
  }

  @Test
  void evaluationCentreCropOfABatch() {
    ImageBatch in = batch(3, 64, 1, 0, new ScheduleStamp(0, 0, 3));
    ImageBatch out = Augmenter.centerCrop(in, 56, 0.875, true);
    assertThat(out.height()).isEqualTo(56);
    assertThat(out.channels()).isEqualTo(3);
    // 0.875 of 64 is 56: the centred block, unscaled.
    assertThat(out.pixels()[0]).isEqualTo(in.pixels()[4 * 64 + 4]);
  }
}
