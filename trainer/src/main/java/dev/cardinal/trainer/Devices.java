package dev.cardinal.trainer;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Picks where the network runs: the first GPU DJL sees, else the CPU. */
public final class Devices {
  private Devices() {}

  public static Device pick() {
    return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
  }

  /** A line for the start-up log: device and threads. */
  public static String describe(Device device) {
    if (device.isGpu()) {
      return "GPU "
          + device.getDeviceId()
          + " ("
          + Engine.getInstance().getGpuCount()
          + " visible)";
    }
    return "CPU, "
        + Runtime.getRuntime().availableProcessors()
        + " cores (PyTorch intra-op threads: "
        + System.getProperty("ai.djl.pytorch.num_threads", "default")
        + ")";
  }
}
