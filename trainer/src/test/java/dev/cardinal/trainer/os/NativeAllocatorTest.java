package dev.cardinal.trainer.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import java.util.Map;
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
    NativeAllocator.keepFreedMemory();

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
