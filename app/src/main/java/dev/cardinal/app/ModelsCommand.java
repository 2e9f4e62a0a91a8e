package dev.cardinal.app;

import dev.cardinal.trainer.model.ModelStats;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The model family table, computed from the built networks. */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description =
        "List every model preset with its trainable parameters and multiply-accumulates, measured"
            + " on the built network.")
public final class ModelsCommand implements Callable<Integer> {
  @Option(
      names = "--resolution",
      defaultValue = "224",
      description = "Input resolution for the MAC count. Default: ${DEFAULT-VALUE}")
  int resolution;

  @Option(
      names = "--classes",
      defaultValue = "1000",
      description = "Classifier outputs. Default: ${DEFAULT-VALUE}")
  int classes;

  @Override
  public Integer call() {
    if (resolution < 16 || resolution > 1024) {
      throw new UserError("--resolution must be between 16 and 1024, got " + resolution);
    }
    if (classes < 1) {
      throw new UserError("--classes must be >= 1, got " + classes);
    }
    System.out.print(ModelStats.table(resolution, classes));
    return 0;
  }
}
