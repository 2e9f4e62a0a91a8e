package dev.cardinal.trainer.bench;

import dev.cardinal.trainer.testing.BareTraining;

/**
 * One leg of bench/allocator: resnetrs20 trained from memory on Fashion-MNIST-shaped batches (128 x
 * 28 x 28 x 1) in this JVM, whose allocator settings the script chose ({@code CARDINAL_MALLOC},
 * {@code THP_MEM_ALLOC_ENABLE}). Prints one line: {@code LEG img_s=.. cpu_s=..}, CPU time being
 * this process's user and kernel time over the measured steps.
 */
public final class AllocatorBench {
  private static final int BATCH = 128;

  public static void main(String[] args) {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    BareTraining.Speed speed =
        BareTraining.fashionMnist("resnetrs20", "allocator", BATCH, 4, 15, steps);
    System.out.printf("LEG img_s=%.1f cpu_s=%.2f%n", speed.imagesPerSecond(), speed.cpuSeconds());
  }
}
