package dev.cardinal.trainer.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import dev.cardinal.trainer.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NativeAllocatorTest {
  /**
   * A large activation's size: above the 32 MiB up to which glibc's default mmap threshold adapts,
   * so by default it always gets its own mmap, unmapped again on free.
   */
  private static final long BLOCK = 40L << 20;

  @Test
  @EnabledOnOs(OS.LINUX)
  void freedTensorSizedBlocksStayInTheProcess() {
    assumeTrue(
        NativeAllocator.userChoice(System.getenv()) == null,
        "this environment sets the allocator itself");
    NativeAllocator.tuneForTensors();

    long mappedBefore = MallocStats.INSTANCE.mallinfo2().hblkhd;
    Pointer block = MallocStats.INSTANCE.malloc(BLOCK);
    long mappedWhileHeld = MallocStats.INSTANCE.mallinfo2().hblkhd;
    MallocStats.INSTANCE.free(block);
    long freeInArenas = MallocStats.INSTANCE.mallinfo2().fordblks;

    assertTrue(
        mappedWhileHeld - mappedBefore < BLOCK,
        "a 40 MiB block got its own mmap: " + mappedBefore + " -> " + mappedWhileHeld + " bytes");
    assertTrue(
        freeInArenas >= BLOCK,
        "the freed 40 MiB went back to the kernel; free in arenas: " + freeInArenas + " bytes");
  }

  /**
   * A thread other than the main one gets an arena of its own, made of 64 MiB heaps that glibc
   * would unmap again as soon as a free leaves one empty: the trainer's and evaluator's threads.
   */
  @Test
  @EnabledOnOs(OS.LINUX)
  void aThreadsFreedBlocksStayInTheProcessToo() throws InterruptedException {
    assumeTrue(
        NativeAllocator.userChoice(System.getenv()) == null,
        "this environment sets the allocator itself");
    NativeAllocator.tuneForTensors();
    long[] arenaBytes = new long[3];
    Thread thread =
        new Thread(
            () -> {
              // Two blocks below a heap's 64 MiB do not fit one heap: the second gets a heap of its
              // own, the one glibc would unmap when the block is freed.
              Pointer first = MallocStats.INSTANCE.malloc(BLOCK);
              arenaBytes[0] = MallocStats.INSTANCE.mallinfo2().arena;
              Pointer second = MallocStats.INSTANCE.malloc(BLOCK);
              arenaBytes[1] = MallocStats.INSTANCE.mallinfo2().arena;
              MallocStats.INSTANCE.free(second);
              arenaBytes[2] = MallocStats.INSTANCE.mallinfo2().arena;
              MallocStats.INSTANCE.free(first);
            },
            "allocating-thread");
    thread.start();
    thread.join();

    assertTrue(
        arenaBytes[1] - arenaBytes[0] >= BLOCK,
        "the second block did not get a heap: " + arenaBytes[0] + " -> " + arenaBytes[1]);
    assertTrue(
        arenaBytes[2] >= arenaBytes[1],
        "freeing the second block unmapped its heap: arenas held "
            + arenaBytes[1]
            + " bytes, then "
            + arenaBytes[2]);
  }

  @ParameterizedTest
  @CsvSource({
    "CARDINAL_MALLOC, default, CARDINAL_MALLOC=default",
    "LD_PRELOAD, /usr/lib/x86_64-linux-gnu/libjemalloc.so.2, LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
    "GLIBC_TUNABLES, glibc.malloc.trim_threshold=0, GLIBC_TUNABLES sets malloc",
    "MALLOC_ARENA_MAX, 2, MALLOC_ARENA_MAX is set",
    "MALLOC_CONF, narenas:1, MALLOC_CONF is set",
  })
  void anAllocatorSettingOfTheUsersWins(String name, String value, String reason) {
    assertEquals(reason, NativeAllocator.userChoice(Map.of(name, value)));
  }

  @Test
  void unrelatedSettingsLeaveItToCardinal() {
    assertNull(
        NativeAllocator.userChoice(
            Map.of(
                "GLIBC_TUNABLES", "glibc.pthread.rseq=0",
                "LD_PRELOAD", "/lib/libfoo.so",
                "CARDINAL_MALLOC", "tuned",
                "MALLOCATOR", "x")));
  }

  /**
   * A JVM tuned as Cardinal tunes it puts a large tensor on huge pages; one with {@code
   * CARDINAL_MALLOC=default} does not, where the kernel gives huge pages only on advice. Each in a
   * JVM of its own: libtorch reads its switch once, at a process's first tensor.
   */
  @Test
  @EnabledOnOs(OS.LINUX)
  void largeTensorsGoOnHugePagesUnlessTurnedOff() throws IOException, InterruptedException {
    String kernelSetting = transparentHugePagesSetting();
    assumeTrue(
        kernelSetting.contains("[always]") || kernelSetting.contains("[madvise]"),
        "this kernel gives no transparent huge pages: " + kernelSetting);

    long tuned = probeHugePagesKb(Map.of());
    long turnedOff = probeHugePagesKb(Map.of(NativeAllocator.SWITCH_VARIABLE, "default"));

    assertTrue(
        tuned >= HugePagesProbe.TENSOR_KB / 2,
        "a 64 MiB tensor got " + tuned + " KiB of huge pages (kernel: " + kernelSetting + ")");
    if (kernelSetting.contains("[madvise]")) {
      assertEquals(0, turnedOff, "huge pages without Cardinal's advice, KiB");
    }
  }

  @ParameterizedTest
  @CsvSource({
    "CARDINAL_MALLOC, default, CARDINAL_MALLOC=default",
    "THP_MEM_ALLOC_ENABLE, 0, THP_MEM_ALLOC_ENABLE=0",
    "THP_MEM_ALLOC_ENABLE, 1, THP_MEM_ALLOC_ENABLE=1",
  })
  void aHugePageSettingOfTheUsersWins(String name, String value, String reason) {
    assertEquals(reason, NativeAllocator.hugePagesChoice(Map.of(name, value)));
  }

  @Test
  void aMallocSettingOfTheUsersLeavesHugePagesToCardinal() {
    assertNull(NativeAllocator.hugePagesChoice(Map.of("MALLOC_ARENA_MAX", "2")));
  }

  private static String transparentHugePagesSetting() throws IOException {
    Path setting = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    return Files.exists(setting) ? Files.readString(setting).trim() : "(no " + setting + ")";
  }

  /** Runs {@link HugePagesProbe} with the allocator variables removed, then {@code env} set. */
  private static long probeHugePagesKb(Map<String, String> env)
      throws IOException, InterruptedException {
    String output =
        ChildJvm.output(
            HugePagesProbe.class,
            environment -> {
              environment.remove(NativeAllocator.SWITCH_VARIABLE);
              environment.remove(NativeAllocator.HUGE_PAGES_VARIABLE);
              environment.putAll(env);
            });
    Matcher line = Pattern.compile("ANON_HUGE_KB=(\\d+)").matcher(output);
    assertTrue(line.find(), output);
    return Long.parseLong(line.group(1));
  }

  /**
   * The child process of the test above: tunes the allocator as Cardinal does, fills a 64 MiB
   * tensor and prints how much of its anonymous memory is on huge pages.
   */
  public static final class HugePagesProbe {
    static final long TENSOR_KB = 64 * 1024;

    public static void main(String[] args) throws IOException {
      NativeAllocator.tuneForTensors();
      try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
          NDArray tensor = manager.ones(new Shape(TENSOR_KB * 1024 / Float.BYTES))) {
        System.out.println("tensor sum " + tensor.sum().getFloat());
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps_rollup"))) {
          if (line.startsWith("AnonHugePages:")) {
            System.out.println("ANON_HUGE_KB=" + line.replaceAll("[^0-9]", ""));
          }
        }
      }
    }
  }

  /**
   * What the test reads of glibc's malloc, beyond the calls Cardinal itself makes ({@link Libc}).
   */
  interface MallocStats extends Library {
    MallocStats INSTANCE = Native.load("c", MallocStats.class);

    Pointer malloc(long size);

    void free(Pointer block);

    /** glibc 2.33+: malloc's totals over all arenas. */
    MallInfo2.ByValue mallinfo2();
  }

  /** {@code struct mallinfo2}: every field a {@code size_t}. */
  @Structure.FieldOrder({
    "arena",
    "ordblks",
    "smblks",
    "hblks",
    "hblkhd",
    "usmblks",
    "fsmblks",
    "uordblks",
    "fordblks",
    "keepcost"
  })
  public static class MallInfo2 extends Structure {
    public long arena;
    public long ordblks;
    public long smblks;
    public long hblks;

    /** Bytes in blocks served by their own mmap. */
    public long hblkhd;

    public long usmblks;
    public long fsmblks;
    public long uordblks;

    /** Free bytes held in the arenas. */
    public long fordblks;

    public long keepcost;

    public static class ByValue extends MallInfo2 implements Structure.ByValue {}
  }
}
