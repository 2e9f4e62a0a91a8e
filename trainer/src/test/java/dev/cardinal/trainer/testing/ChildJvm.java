package dev.cardinal.trainer.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A JVM started with this test JVM's class path, for settings a process reads once (oneDNN's
 * instruction set, libtorch's allocator switches): a test that needs them unset or set otherwise
 * runs a small main in a process of its own.
 */
public final class ChildJvm {
  private ChildJvm() {}

  /**
   * Runs {@code mainClass} to its end and returns its output (stdout and stderr together).
   *
   * @param environment changes the child's environment, a copy of this JVM's
   * @throws AssertionError when the child exits with a status other than 0, with its output
   */
  public static String output(Class<?> mainClass, Consumer<Map<String, String>> environment)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            "-Dai.djl.offline=true",
            mainClass.getName());
    environment.accept(builder.environment());
    builder.redirectErrorStream(true);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int status = process.waitFor();
    if (status != 0) {
      throw new AssertionError(mainClass.getName() + " exited with " + status + ":\n" + output);
    }
    return output;
  }
}
