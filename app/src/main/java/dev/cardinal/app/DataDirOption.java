package dev.cardinal.app;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a local Cardinal keeps its state; shared by 'run', 'registry' and 'sweep'. */
final class DataDirOption {
  @Option(
      names = "--data-dir",
      defaultValue = "${env:CARDINAL_DATA_DIR:-./cardinal-data}",
      description =
          "Where a local Cardinal keeps its state: embedded Kafka and S3 (with the S3 keys 'cardinal"
              + " sweep' uses when --s3-endpoint is not given) and the registry database. Env"
              + " CARDINAL_DATA_DIR. Default: ${DEFAULT-VALUE}")
  Path dataDir;
}
