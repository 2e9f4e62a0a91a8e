package dev.cardinal.registry;

import static dev.cardinal.registry.Fixtures.registryConfig;
import static dev.cardinal.registry.Fixtures.started;

import dev.cardinal.core.Resources;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A registry server for the tests of one class, with a database and consumer group of its own on a
 * free loopback port: started before the class's {@code @BeforeAll} methods, closed after its
 * tests. Register it as {@code @RegisterExtension static final TestRegistry registry = ...}.
 */
final class TestRegistry implements BeforeAllCallback, AfterAllCallback {
  private final RegistryConfig config;
  private RegistryServer server;

  TestRegistry(String name) {
    this(registryConfig(name));
  }

  /** A registry whose alias and tag changes need {@code adminToken}. */
  TestRegistry(String name, String adminToken) {
    this(registryConfig(name).withAdminToken(adminToken));
  }

  private TestRegistry(RegistryConfig config) {
    this.config = config;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server = started(config);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    Resources.close(server);
  }

  RegistryConfig config() {
    return config;
  }

  RegistryServer server() {
    return server;
  }

  int port() {
    return server.port();
  }

  /**
   * Stops the server and starts it again on the same database with {@code --rebuild}: it empties
   * its store and replays the topics from the beginning. The new server has a new port.
   */
  void restartWithRebuild() {
    server.close();
    server = started(config.withRebuild(true));
  }
}
