package dev.cardinal.app;

import dev.cardinal.registry.RegistryConfig;
import picocli.CommandLine.Option;

/** Where the web server (UI and REST API) listens; shared by 'run' and 'registry'. */
final class WebOptions {
  @Option(
      names = "--port",
      defaultValue = "${env:CARDINAL_PORT:-8080}",
      description = "Port of the web UI and REST API. Env CARDINAL_PORT. Default: ${DEFAULT-VALUE}")
  int port;

  @Option(
      names = "--host",
      defaultValue = "${env:CARDINAL_HOST:-" + RegistryConfig.DEFAULT_HOST + "}",
      description =
          "Address the web server binds; 0.0.0.0 serves every interface (containers, other"
              + " machines). Env CARDINAL_HOST. Default: ${DEFAULT-VALUE}")
  String host;
}
