package dev.cardinal.trainer.os;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The few C library calls Cardinal makes through JNA (which DJL already depends on): settings that
 * native libraries read from the process itself rather than from Java.
 */
public interface Libc extends Library {
  /** Loaded on first use; throws {@link UnsatisfiedLinkError} where there is no C library. */
  Libc INSTANCE = Native.load("c", Libc.class);

  /** {@code mallopt}'s parameter numbers (glibc's malloc.h). */
  int M_TRIM_THRESHOLD = -1;

  int M_TOP_PAD = -2;

  int M_MMAP_MAX = -4;

  /** The only way to change the environment a native library reads: Java's is read-only. */
  int setenv(String name, String value, int overwrite);

  /** Sets one of malloc's parameters; returns 1 on success, 0 on error. */
  int mallopt(int parameter, int value);
}
