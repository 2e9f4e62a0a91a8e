package dev.cardinal.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A folder watched for new images: files that appear in its class subfolders are ingested once
 * each, when they have stopped changing (so a half-copied file is not read; writers that rename a
 * hidden temp file into place are seen at once). The classes are the subfolders present at start;
 * files put in a class folder created later are reported as bad input: a new class would change the
 * labels and the class count under a running trainer. A restart sees it and, the class list being
 * part of the dataset id, begins a new dataset. Polling rather than inotify: it sees nested and
 * network folders alike and costs one listing per poll.
 */
public final class WatchSource implements ImageStream {
  private static final Duration SCAN_EVERY = Duration.ofMillis(200);
  private static final long SETTLE_MS = 500;

  private final String datasetId;
  private final Path root;
  private final List<String> classNames;
  private final int channels;
  private final SourceSettings settings;
  private final Map<String, FileState> seen = new HashMap<>();
  private final Set<String> finished = new HashSet<>();
  private final List<BadInput> problems;

  private WatchSource(
      String datasetId,
      Path root,
      List<String> classNames,
      int channels,
      SourceSettings settings,
      List<BadInput> problems) {
    this.datasetId = datasetId;
    this.root = root;
    this.classNames = List.copyOf(classNames);
    this.channels = channels;
    this.settings = settings;
    this.problems = List.copyOf(problems);
  }

  /**
   * @throws IllegalArgumentException (one line) when the folder is missing or has no class
   *     subfolders
   */
  public static WatchSource open(Path path, SourceSettings settings) {
    Path root = DatasetFiles.existingFolder("watch", path);
    List<BadInput> problems = new ArrayList<>();
    List<Path> classDirs = FolderSource.classFolders(root, problems);
    if (classDirs.isEmpty()) {
      throw new IllegalArgumentException(
          "watch:"
              + path
              + ": no class subfolders; create one subfolder per class (e.g. "
              + root.resolve("cat")
              + ") and put new images there");
    }
    List<String> names = classDirs.stream().map(d -> d.getFileName().toString()).toList();
    // Grey only when every image already there is grey: a colour dataset stays colour.
    boolean anyImage = false;
    boolean allGrey = true;
    for (Path dir : classDirs) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.filter(Files::isRegularFile).limit(64).toList()) {
          if (ImageFiles.isImageName(f.getFileName().toString())) {
            try {
              anyImage = true;
              allGrey &= ImageFiles.probe(f).channels() == 1;
            } catch (BadImageException e) {
              // Reported when the file is polled.
            }
          }
        }
      } catch (IOException e) {
        problems.add(new BadInput(dir.toString(), "cannot list folder: " + e.getMessage()));
      }
    }
    String id =
        DatasetFiles.datasetId("watch", root, List.of(root.toString(), String.join("/", names)));
    return new WatchSource(id, root, names, anyImage && allGrey ? 1 : 3, settings, problems);
  }

  @Override
  public List<Arrival> poll(Duration timeout, Predicate<String> alreadyIngested)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Arrival> ready = scan(alreadyIngested);
      long left = deadline - System.nanoTime();
      if (!ready.isEmpty() || left <= 0) {
        return ready;
      }
      Thread.sleep(Math.max(1, Math.min(SCAN_EVERY.toMillis(), left / 1_000_000)));
    }
  }

  private record FileState(long size, long modifiedMs) {}

  private List<Arrival> scan(Predicate<String> alreadyIngested) {
    List<Arrival> out = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> all = Files.walk(root)) {
      files = all.filter(p -> !p.equals(root)).filter(p -> !hiddenBelowRoot(p)).sorted().toList();
    } catch (IOException e) {
      // A folder renamed while walking: the next scan sees the settled tree.
      return out;
    }
    long now = System.currentTimeMillis();
    for (Path file : files) {
      BasicFileAttributes attributes;
      try {
        attributes = Files.readAttributes(file, BasicFileAttributes.class);
      } catch (IOException e) {
        continue;
      }
      if (!attributes.isRegularFile()) {
        continue;
      }
      String relative = root.relativize(file).toString().replace('\\', '/');
      if (finished.contains(relative)) {
        continue;
      }
      if (alreadyIngested.test(relative)) {
        finished.add(relative);
        continue;
      }
      FileState state = new FileState(attributes.size(), attributes.lastModifiedTime().toMillis());
      FileState before = seen.put(relative, state);
      if (!state.equals(before) || now - state.modifiedMs < SETTLE_MS) {
        continue;
      }
      seen.remove(relative);
      finished.add(relative);
      out.add(arrival(file, relative));
    }
    return out;
  }

  private boolean hiddenBelowRoot(Path p) {
    for (Path part : root.relativize(p)) {
      if (part.toString().startsWith(".") || part.toString().endsWith("~")) {
        return true;
      }
    }
    return false;
  }

  private Arrival arrival(Path file, String relative) {
    int slash = relative.indexOf('/');
    if (slash < 0) {
      return Arrival.bad(
          file.toString(), "file is not in a class subfolder; move it to " + root + "/<class>/");
    }
    int label = classNames.indexOf(relative.substring(0, slash));
    if (label < 0) {
      return Arrival.bad(
          file.toString(),
          "class folder '"
              + relative.substring(0, slash)
              + "' appeared after ingest started, and the classes (and so every label) are"
              + " fixed while it runs; restart ingest to begin a new dataset with it, and train a"
              + " new run on it, since the class count changes");
    }
    if (!ImageFiles.isImageName(file.getFileName().toString())) {
      return Arrival.bad(file.toString(), "not an image file (expected .jpg, .jpeg or .png)");
    }
    try {
      ImageFiles.Pixels pixels = ImageFiles.decode(file, channels, settings.maxSide());
      long sampleId = DatasetFiles.stableHash(relative) & Long.MAX_VALUE;
      return Arrival.image(
          relative,
          DatasetFiles.heldOut(relative, settings.evalFraction()),
          new LabelledImage(
              sampleId, label, pixels.height(), pixels.width(), pixels.channels(), pixels.bytes()));
    } catch (BadImageException e) {
      return Arrival.bad(file.toString(), e.getMessage());
    }
  }

  public List<String> classNames() {
    return classNames;
  }

  @Override
  public String datasetId() {
    return datasetId;
  }

  @Override
  public String describe() {
    return "watched folder "
        + root
        + " ("
        + classNames.size()
        + " classes, "
        + (channels == 1 ? "grey" : "RGB")
        + "; new images in the class subfolders are ingested as they arrive)";
  }

  @Override
  public int classes() {
    return Math.max(2, classNames.size());
  }

  @Override
  public List<BadInput> problems() {
    return problems;
  }
}
