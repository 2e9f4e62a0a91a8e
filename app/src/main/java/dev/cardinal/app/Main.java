package dev.cardinal.app;

import dev.cardinal.core.CodeVersion;
import dev.cardinal.trainer.EngineThreads;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/**
 * The {@code cardinal} command. Its scope is INHERIT: every subcommand, to any depth, gets {@code
 * --help} and {@code --version} from here.
 */
@Command(
    name = "cardinal",
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Trains and evaluates ResNet-family image classifiers on a stream of images.",
    subcommands = {
      RunCommand.class,
      StageCommands.Ingest.class,
      StageCommands.Augment.class,
      StageCommands.Train.class,
      StageCommands.Evaluate.class,
      StageCommands.Registry.class,
      ModelsCommand.class,
      CheckpointsCommand.class,
      SweepCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main extends CommandGroup {

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs a command line and returns the exit code (0 ok, 1 failure, 2 usage error). */
  public static int execute(String... args) {
    // Before any stage starts the engine, which reads its thread counts (and libtorch its
    // allocator settings) once for the JVM.
    EngineThreads.configureForThisMachine();
    CommandLine line = new CommandLine(new Main());
    line.setParameterExceptionHandler(
        (ex, argv) -> {
          CommandLine failed = ex.getCommandLine();
          failed
              .getErr()
              .println(
                  failed.getCommandName()
                      + ": "
                      + ex.getMessage()
                      + " (see '"
                      + failed.getCommandSpec().qualifiedName()
                      + " --help')");
          return 2;
        });
    line.setExecutionExceptionHandler(
        (ex, failed, parseResult) -> {
          Throwable cause = ex;
          if (cause instanceof UserError) {
            failed.getErr().println("cardinal: " + cause.getMessage());
            return 1;
          }
          failed.getErr().println("cardinal: " + ex);
          ex.printStackTrace(failed.getErr());
          return 1;
        });
    return line.execute(args);
  }

  /** The project version and commit, as checkpoint manifests record them. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"cardinal " + CodeVersion.get()};
    }
  }
}
