package dev.cardinal.trainer.os;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * The few C library calls Cardinal makes through JNA (which DJL already depends on): settings that
 * native libraries read from the process itself rather than from Java.
 */
public interface Libc extends Library {
  /** Loaded on first use; throws {@link UnsatisfiedLinkError} where there is no C library. */
  Libc INSTANCE = Native.load("c", Libc.class);

  /** {@code mallopt}'s parameter numbers (glibc's malloc.h). */
  int M_TRIM_THRESHOLD = -1;

  int M_MMAP_MAX = -4;

  /** The only way to change the environment a native library reads: Java's is read-only. */
  int setenv(String name, String value, int overwrite);

  /** Sets one of malloc's parameters; returns 1 on success, 0 on error. */
  int mallopt(int parameter, int value);

  Pointer malloc(long size);

  void free(Pointer block);

  /** glibc 2.33+: malloc's totals over all arenas. */
  MallInfo2.ByValue mallinfo2();

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
  class MallInfo2 extends Structure {
    /** Bytes the arenas got from the kernel (sbrk and heaps), not counting mmapped blocks. */
    public long arena;

    public long ordblks;
    public long smblks;

    /** Blocks served by their own mmap. */
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
