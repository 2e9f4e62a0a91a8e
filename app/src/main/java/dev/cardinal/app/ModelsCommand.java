package dev.cardinal.app;

import dev.cardinal.trainer.model.ModelStats;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The model family table, computed from the built networks. */
@Command(
    name = "models",
    description =
        "List every model preset with its family, trainable parameters and multiply-accumulates"
            + " (millions per image), measured on the built network (shapes only, no weights"
            + " drawn).",
    footer = {
      "",
      "Examples:",
      "  cardinal models                                224 px, 1000 classes",
      "  cardinal models --resolution 28 --classes 10",
      "      the small presets (resnext_s_*, resnest_s, resnetrs_s, resnet20) at 28 px",
      "",
      "Capacity-matched: resnext50_1x64d .. resnext50_32x4d cost within 5% of",
      "resnet50's MACs at 224 px; resnext_s_1x24d .. resnext_s_8x5d within 5% of each",
      "other. Takes about 5 s of CPU: every network is built, only its shapes inferred."
    })
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
    UserError.requireBetween("--resolution", resolution, 16, 1024);
    if (classes < 1) {
      throw new UserError("--classes must be >= 1, got " + classes);
    }
    System.out.print(ModelStats.table(resolution, classes));
    return 0;
  }
}
