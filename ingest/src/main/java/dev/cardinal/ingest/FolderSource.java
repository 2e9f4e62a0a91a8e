package dev.cardinal.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * An image folder: one subfolder per class (sorted names give the labels), JPEG or PNG files of any
 * size, grey, RGB or RGBA. The eval split is {@code test/} (or {@code val/}) beside {@code train/}
 * when the folder has them, else a deterministic hash-based fraction of the files. Headers are read
 * at open to learn each image's size (so batches can group equal sizes); pixels are decoded when
 * ingested, at native resolution up to the side cap.
 */
public final class FolderSource extends FolderDataset {
  private final List<String> classNames;
  private final int channels;
  private final int maxSide;
  private final Entries train;
  private final Entries eval;

  private FolderSource(
      String datasetId,
      Path root,
      List<String> classNames,
      int channels,
      int maxSide,
      Entries train,
      Entries eval,
      List<BadInput> problems) {
    super(datasetId, root, Math.max(2, classNames.size()), problems);
    this.classNames = List.copyOf(classNames);
    this.channels = channels;
    this.maxSide = maxSide;
    this.train = train;
    this.eval = eval;
  }

  /**
   * @throws IllegalArgumentException (one line) when the folder is missing or empty, or holds no
   *     class subfolders with images
   */
  public static FolderSource open(Path path, SourceSettings settings) {
    Path root = DatasetFiles.existingFolder("folder", path);
    List<BadInput> problems = new ArrayList<>();
    Path trainRoot = root;
    Path evalRoot = null;
    if (Files.isDirectory(root.resolve("train"))) {
      for (String name : List.of("test", "val", "validation")) {
        if (Files.isDirectory(root.resolve(name))) {
          trainRoot = root.resolve("train");
          evalRoot = root.resolve(name);
          break;
        }
      }
    }
    List<Path> classDirs = classFolders(trainRoot, problems);
    if (classDirs.isEmpty()) {
      throw new IllegalArgumentException(
          "folder:"
              + path
              + ": no class subfolders; put the images in one subfolder per class, e.g. "
              + trainRoot.resolve("cat/0001.jpg"));
    }
    List<Scanned> trainFiles = new ArrayList<>();
    List<Scanned> evalFiles = new ArrayList<>();
    List<String> classNames = new ArrayList<>();
    for (Path dir : classDirs) {
      List<Scanned> files = scan(dir, root, problems);
      if (files.isEmpty()) {
        problems.add(
            new BadInput(dir.toString(), "class folder holds no readable images; skipped"));
        continue;
      }
      int label = classNames.size();
      classNames.add(dir.getFileName().toString());
      for (Scanned f : files) {
        Scanned labelled = f.withLabel(label);
        if (evalRoot == null && DatasetFiles.heldOut(f.relative, settings.evalFraction())) {
          evalFiles.add(labelled);
        } else {
          trainFiles.add(labelled);
        }
      }
    }
    if (evalRoot != null) {
      List<Path> evalDirs = classFolders(evalRoot, problems);
      if (evalDirs.isEmpty()) {
        problems.add(
            new BadInput(
                evalRoot.toString(), "eval folder has no class subfolders; no eval split"));
      }
      for (Path dir : evalDirs) {
        int label = classNames.indexOf(dir.getFileName().toString());
        List<Scanned> files = scan(dir, root, problems);
        if (label < 0) {
          for (Scanned f : files) {
            problems.add(
                new BadInput(
                    f.path.toString(),
                    "eval class '" + dir.getFileName() + "' has no train folder"));
          }
          continue;
        }
        files.forEach(f -> evalFiles.add(f.withLabel(label)));
      }
    }
    if (trainFiles.isEmpty()) {
      throw new IllegalArgumentException(
          "folder:" + path + ": no readable train images in the class subfolders");
    }
    boolean allGrey =
        Stream.concat(trainFiles.stream(), evalFiles.stream())
            .allMatch(f -> f.shape.channels() == 1);
    int channels = allGrey ? 1 : 3;
    List<String> listing = new ArrayList<>();
    listing.add(root.toString());
    listing.add(Integer.toString(settings.maxSide()));
    Stream.concat(trainFiles.stream(), evalFiles.stream())
        .forEach(f -> listing.add(f.relative + ":" + f.label + ":" + f.bytes));
    String id = DatasetFiles.datasetId("folder", root, listing);
    return new FolderSource(
        id,
        root,
        classNames,
        channels,
        settings.maxSide(),
        Entries.of(trainFiles, channels, settings.maxSide(), 0),
        Entries.of(evalFiles, channels, settings.maxSide(), trainFiles.size()),
        problems);
  }

  /** Subfolders of a folder, sorted; files lying beside them are reported as bad input. */
  static List<Path> classFolders(Path folder, List<BadInput> problems) {
    List<Path> dirs = new ArrayList<>();
    try (Stream<Path> entries = Files.list(folder)) {
      for (Path p : entries.sorted().toList()) {
        if (ImageFiles.isHidden(p)) {
          continue;
        }
        if (Files.isDirectory(p)) {
          dirs.add(p);
        } else {
          problems.add(
              new BadInput(
                  p.toString(),
                  "file is not in a class subfolder; move it to " + folder + "/<class>/"));
        }
      }
    } catch (IOException e) {
      problems.add(new BadInput(folder.toString(), "cannot list folder: " + e.getMessage()));
    }
    return dirs;
  }

  private static List<Scanned> scan(Path dir, Path root, List<BadInput> problems) {
    List<Scanned> out = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> entries = Files.walk(dir)) {
      files =
          entries
              .filter(Files::isRegularFile)
              .filter(p -> !ImageFiles.isHidden(p))
              .sorted()
              .toList();
    } catch (IOException e) {
      problems.add(new BadInput(dir.toString(), "cannot list folder: " + e.getMessage()));
      return out;
    }
    for (Path file : files) {
      if (!ImageFiles.isImageName(file.getFileName().toString())) {
        problems.add(
            new BadInput(file.toString(), "not an image file (expected .jpg, .jpeg or .png)"));
        continue;
      }
      try {
        ImageShape shape = ImageFiles.probe(file);
        out.add(
            new Scanned(
                file,
                root.relativize(file).toString().replace('\\', '/'),
                -1,
                shape,
                Files.size(file)));
      } catch (BadImageException e) {
        problems.add(e.asBadInput());
      } catch (IOException e) {
        problems.add(new BadInput(file.toString(), "unreadable file: " + e.getMessage()));
      }
    }
    return out;
  }

  private record Scanned(Path path, String relative, int label, ImageShape shape, long bytes) {
    Scanned withLabel(int newLabel) {
      return new Scanned(path, relative, newLabel, shape, bytes);
    }
  }

  private record Entries(Path[] paths, int[] labels, ImageShape[] shapes, long idBase) {
    static Entries of(List<Scanned> files, int channels, int maxSide, long idBase) {
      int n = files.size();
      Path[] paths = new Path[n];
      int[] labels = new int[n];
      ImageShape[] shapes = new ImageShape[n];
      for (int i = 0; i < n; i++) {
        Scanned f = files.get(i);
        paths[i] = f.path;
        labels[i] = f.label;
        shapes[i] = ImageFiles.capped(f.shape, channels, maxSide);
      }
      return new Entries(paths, labels, shapes, idBase);
    }

    int index(long index) {
      if (index < 0 || index >= paths.length) {
        throw new IndexOutOfBoundsException(
            "sample " + index + " outside 0.." + (paths.length - 1));
      }
      return (int) index;
    }
  }

  private LabelledImage load(Entries entries, long index) {
    int i = entries.index(index);
    ImageFiles.Pixels pixels = ImageFiles.decode(entries.paths[i], channels, maxSide);
    ImageShape expected = entries.shapes[i];
    if (pixels.height() != expected.height() || pixels.width() != expected.width()) {
      throw new BadImageException(
          entries.paths[i].toString(),
          "decoded as "
              + pixels.width()
              + "x"
              + pixels.height()
              + " but its header said "
              + expected.width()
              + "x"
              + expected.height()
              + " (file changed since ingest started?)");
    }
    return new LabelledImage(
        entries.idBase + i,
        entries.labels[i],
        pixels.height(),
        pixels.width(),
        pixels.channels(),
        pixels.bytes());
  }

  public List<String> classNames() {
    return classNames;
  }

  @Override
  public String describe() {
    return "image folder "
        + folder
        + " ("
        + train.paths.length
        + " train, "
        + eval.paths.length
        + " eval images, "
        + classNames.size()
        + " classes, "
        + (channels == 1 ? "grey" : "RGB")
        + ", longer side capped at "
        + maxSide
        + " px)";
  }

  @Override
  public long trainSize() {
    return train.paths.length;
  }

  @Override
  public long evalSize() {
    return eval.paths.length;
  }

  @Override
  public LabelledImage train(long index) {
    return load(train, index);
  }

  @Override
  public LabelledImage eval(long index) {
    return load(eval, index);
  }

  @Override
  public ImageShape trainShape(long index) {
    return train.shapes[train.index(index)];
  }

  @Override
  public ImageShape evalShape(long index) {
    return eval.shapes[eval.index(index)];
  }
}
