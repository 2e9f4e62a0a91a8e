package dev.cardinal.core.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback ports for the embedded services. */
final class Ports {
  private Ports() {}

  /** A port that was free on 127.0.0.1 a moment ago. */
  static int free() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on 127.0.0.1", e);
    }
  }

  /**
   * Returns {@code port} when nothing listens on it.
   *
   * @throws IllegalStateException naming the port, the service and the flag to change it
   */
  static int requireFree(int port, String service, String flag) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(
          service + " port must be 0..65535 (0 picks a free one), got " + port + ": see " + flag);
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return port;
    } catch (IOException e) {
      throw new IllegalStateException(
          "port "
              + port
              + " on 127.0.0.1 is already in use, so the embedded "
              + service
              + " cannot listen on it: stop what holds it or choose another port with "
              + flag
              + " (0 picks a free one)",
          e);
    }
  }
}
