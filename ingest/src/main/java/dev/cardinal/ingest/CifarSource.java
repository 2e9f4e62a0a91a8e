package dev.cardinal.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10 ({@code data_batch_1..5.bin}, {@code test_batch.bin}; records of 1 label byte + 3072
 * pixel bytes) and CIFAR-100 ({@code train.bin}, {@code test.bin}; coarse + fine label byte + 3072;
 * the fine label is used) binary files, in the folder or its {@code cifar-10-batches-bin} / {@code
 * cifar-100-binary} subfolder. Records are read on demand; pixels are stored planar (all red, then
 * green, then blue) and come out HWC.
 */
public final class CifarSource extends FolderDataset {
  private static final int SIDE = 32;
  private static final int PIXELS = SIDE * SIDE * 3;

  private final int labelBytes;
  private final Split train;
  private final Split eval;

  private CifarSource(
      String datasetId,
      Path folder,
      int classes,
      int labelBytes,
      Split train,
      Split eval,
      List<BadInput> problems) {
    super(datasetId, folder, classes, problems);
    this.labelBytes = labelBytes;
    this.train = train;
    this.eval = eval;
  }

  /**
   * @throws IllegalArgumentException (one line) for a missing or empty folder or one without CIFAR
   *     binary files
   */
  public static CifarSource open(Path path) {
    Path folder = DatasetFiles.existingFolder("cifar", path);
    for (String sub : List.of("cifar-10-batches-bin", "cifar-100-binary")) {
      if (Files.isDirectory(folder.resolve(sub))) {
        folder = folder.resolve(sub);
      }
    }
    List<Path> trainFiles;
    List<Path> evalFiles;
    int classes;
    int labelBytes;
    List<Path> all = DatasetFiles.sortedEntries("cifar", path, folder);
    List<Path> cifar10 =
        all.stream()
            .filter(p -> p.getFileName().toString().matches("data_batch_\\d+\\.bin"))
            .toList();
    if (!cifar10.isEmpty()) {
      classes = 10;
      labelBytes = 1;
      trainFiles = cifar10;
      evalFiles =
          all.stream().filter(p -> p.getFileName().toString().equals("test_batch.bin")).toList();
    } else if (all.stream().anyMatch(p -> p.getFileName().toString().equals("train.bin"))) {
      classes = 100;
      labelBytes = 2;
      trainFiles =
          all.stream().filter(p -> p.getFileName().toString().equals("train.bin")).toList();
      evalFiles = all.stream().filter(p -> p.getFileName().toString().equals("test.bin")).toList();
    } else {
      throw new IllegalArgumentException(
          "cifar:"
              + path
              + ": no CIFAR binary files (data_batch_N.bin for CIFAR-10, train.bin for"
              + " CIFAR-100)");
    }
    List<BadInput> problems = new ArrayList<>();
    Split train = Split.open(trainFiles, labelBytes, 0, problems);
    if (train.count == 0) {
      throw new IllegalArgumentException(
          "cifar:"
              + path
              + ": the train files hold no complete "
              + (labelBytes + PIXELS)
              + "-byte records");
    }
    Split eval = Split.open(evalFiles, labelBytes, DatasetFiles.EVAL_ID_BASE, problems);
    String id =
        DatasetFiles.datasetId(
            "cifar" + classes,
            folder,
            List.of(folder.toString(), Long.toString(train.count), Long.toString(eval.count)));
    return new CifarSource(id, folder, classes, labelBytes, train, eval, problems);
  }

  private record Split(
      List<Path> paths,
      List<FileChannel> files,
      long[] starts,
      long count,
      int labelBytes,
      long idBase) {
    static Split open(List<Path> paths, int labelBytes, long idBase, List<BadInput> problems) {
      int recordBytes = labelBytes + PIXELS;
      List<Path> kept = new ArrayList<>();
      List<FileChannel> files = new ArrayList<>();
      List<Long> starts = new ArrayList<>();
      long count = 0;
      for (Path p : paths) {
        try {
          long size = Files.size(p);
          long records = size / recordBytes;
          if (size % recordBytes != 0) {
            problems.add(
                new BadInput(
                    p.toString(),
                    "truncated: "
                        + size
                        + " bytes is not a whole number of "
                        + recordBytes
                        + "-byte records; using the first "
                        + records));
          }
          if (records == 0) {
            continue;
          }
          files.add(FileChannel.open(p, StandardOpenOption.READ));
          kept.add(p);
          starts.add(count);
          count += records;
        } catch (IOException e) {
          problems.add(new BadInput(p.toString(), "unreadable: " + e.getMessage()));
        }
      }
      starts.add(count);
      return new Split(
          kept,
          files,
          starts.stream().mapToLong(Long::longValue).toArray(),
          count,
          labelBytes,
          idBase);
    }

    LabelledImage image(long index, int classes) {
      if (index < 0 || index >= count) {
        throw new IndexOutOfBoundsException("sample " + index + " outside 0.." + (count - 1));
      }
      int file = 0;
      while (starts[file + 1] <= index) {
        file++;
      }
      int recordBytes = labelBytes + PIXELS;
      ByteBuffer record = ByteBuffer.allocate(recordBytes);
      long position = (index - starts[file]) * recordBytes;
      try {
        while (record.hasRemaining()) {
          if (files.get(file).read(record, position + record.position()) < 0) {
            throw new BadImageException(origin(file, index), "file shrank while reading");
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      byte[] bytes = record.array();
      int label = bytes[labelBytes - 1] & 0xff;
      if (label >= classes) {
        throw new BadImageException(
            origin(file, index), "label " + label + " outside 0.." + (classes - 1));
      }
      byte[] hwc = new byte[PIXELS];
      int plane = SIDE * SIDE;
      for (int i = 0; i < plane; i++) {
        hwc[3 * i] = bytes[labelBytes + i];
        hwc[3 * i + 1] = bytes[labelBytes + plane + i];
        hwc[3 * i + 2] = bytes[labelBytes + 2 * plane + i];
      }
      return new LabelledImage(idBase + index, label, SIDE, SIDE, 3, hwc);
    }

    private String origin(int file, long index) {
      return paths.get(file) + "#record" + (index - starts[file]);
    }
  }

  @Override
  public String describe() {
    return "CIFAR-"
        + classes
        + " binary dataset "
        + folder
        + " ("
        + train.count
        + " train, "
        + eval.count
        + " eval images, 32x32 RGB)";
  }

  @Override
  public long trainSize() {
    return train.count;
  }

  @Override
  public long evalSize() {
    return eval.count;
  }

  @Override
  public LabelledImage train(long index) {
    return train.image(index, classes);
  }

  @Override
  public LabelledImage eval(long index) {
    return eval.image(index, classes);
  }
}
