package dev.cardinal.trainer.model.bench;

import ai.djl.Model;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import dev.cardinal.trainer.model.ModelPresets;
import dev.cardinal.trainer.model.ModelStats;
import dev.cardinal.trainer.model.ResNetBuilder;
import dev.cardinal.trainer.model.ResNetSpec;
import dev.cardinal.trainer.testing.BareTraining;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Training throughput (images/s) of the model family on this machine, beside DJL's own ResNetV1-50
 * with the same input. Batch 32, 64x64 for ImageNet-style networks and 32x32 for CIFAR ones, SGD
 * with momentum, softmax cross-entropy, a per-step sub-manager. Models are timed in interleaved
 * rounds, and each model's best round is reported: the machine's cores are shared, and the best
 * round is the measurement least disturbed by other processes.
 *
 * <p>Arguments: {@code [warmupSteps] [rounds] [stepsPerRound]} (defaults 2, 5, 2).
 */
public final class ModelsBench {

  private static final int BATCH = 32;

  private record Entry(String name, Trainer trainer, Shape input, int classes) {}

  private ModelsBench() {}

  public static void main(String[] args) {
    int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    System.out.printf(
        Locale.ROOT,
        "engine %s %s, batch %d, warm-up %d, %d rounds x %d steps%n",
        Engine.getInstance().getEngineName(),
        Engine.getInstance().getVersion(),
        BATCH,
        warmup,
        rounds,
        steps);

    Map<String, Block> blocks = new LinkedHashMap<>();
    Map<String, Integer> resolution = new LinkedHashMap<>();
    Map<String, Integer> classes = new LinkedHashMap<>();
    for (String name :
        List.of("resnet50", "resnext50_32x4d", "resnest50d", "resnetrs50", "resnet20")) {
      ResNetSpec spec = ModelPresets.get(name);
      blocks.put(name, ResNetBuilder.build(spec));
      resolution.put(name, spec.stem() == ResNetSpec.Stem.CIFAR ? 32 : 64);
      classes.put(name, spec.numClasses());
    }
    blocks.put(
        "djl_resnetv1_50",
        ResNetV1.builder()
            .setImageShape(new Shape(3, 64, 64))
            .setNumLayers(50)
            .setOutSize(1000)
            .build());
    resolution.put("djl_resnetv1_50", 64);
    classes.put("djl_resnetv1_50", 1000);

    List<Model> models = new ArrayList<>();
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<String, Block> e : blocks.entrySet()) {
      Model model = Model.newInstance(e.getKey());
      model.setBlock(e.getValue());
      models.add(model);
      Trainer trainer = model.newTrainer(BareTraining.plainSgd(0.01f));
      int r = resolution.get(e.getKey());
      Shape input = new Shape(BATCH, 3, r, r);
      trainer.initialize(input);
      entries.add(new Entry(e.getKey(), trainer, input, classes.get(e.getKey())));
    }

    Map<String, Double> seconds = new LinkedHashMap<>();
    for (Entry entry : entries) {
      for (int i = 0; i < warmup; i++) {
        step(entry);
      }
      seconds.put(entry.name(), Double.MAX_VALUE);
    }
    for (int round = 0; round < rounds; round++) {
      for (Entry entry : entries) {
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
          step(entry);
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        seconds.merge(entry.name(), elapsed, Math::min);
        System.out.printf(
            Locale.ROOT,
            "round %d %-18s %8.1f img/s%n",
            round + 1,
            entry.name(),
            steps * BATCH / elapsed);
      }
    }

    Map<String, Double> imgPerSec = new LinkedHashMap<>();
    System.out.printf(
        Locale.ROOT, "%-18s %6s %13s %8s %10s%n", "model", "input", "params", "GMACs", "img/s");
    for (Entry entry : entries) {
      double ips = (double) steps * BATCH / seconds.get(entry.name());
      imgPerSec.put(entry.name(), ips);
      long params = ModelStats.trainableParameters(entry.trainer().getModel().getBlock());
      double gmacs = ModelStats.macs(entry.trainer().getModel().getBlock()) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "%-18s %6s %,13d %8.3f %10.1f%n",
          entry.name(),
          entry.input().get(2) + "px",
          params,
          gmacs,
          ips);
    }
    double ratio = imgPerSec.get("resnet50") / imgPerSec.get("djl_resnetv1_50");
    StringBuilder result = new StringBuilder("RESULT models");
    for (Map.Entry<String, Double> e : imgPerSec.entrySet()) {
      result.append(String.format(Locale.ROOT, " %s=%.1f", e.getKey(), e.getValue()));
    }
    result.append(String.format(Locale.ROOT, " ratio=%.3f", ratio));
    for (Entry entry : entries) {
      entry.trainer().close();
    }
    for (Model model : models) {
      model.close();
    }
    System.out.println(result);
  }

  private static void step(Entry entry) {
    Trainer trainer = entry.trainer();
    try (NDManager step = trainer.getManager().newSubManager()) {
      NDArray x = step.randomUniform(0f, 1f, entry.input());
      NDArray labels =
          step.randomInteger(
                  0, entry.classes(), new Shape(BATCH), ai.djl.ndarray.types.DataType.INT64)
              .toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
      try (GradientCollector gc = trainer.newGradientCollector()) {
        NDList predictions = trainer.forward(new NDList(x));
        NDArray loss = trainer.getLoss().evaluate(new NDList(labels), predictions);
        gc.backward(loss);
      }
      trainer.step();
    }
  }
}
