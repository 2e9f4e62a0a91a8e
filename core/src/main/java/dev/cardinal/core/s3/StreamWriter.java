package dev.cardinal.core.s3;

import java.io.IOException;
import java.io.OutputStream;

/** Writes an object's bytes; the store streams them to S3 as they are written. */
@FunctionalInterface
public interface StreamWriter {
  void writeTo(OutputStream out) throws IOException;
}
