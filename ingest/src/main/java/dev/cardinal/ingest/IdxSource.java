package dev.cardinal.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MNIST-style IDX files (gzipped or raw) in one folder: {@code train-images-idx3-ubyte[.gz]},
 * {@code train-labels-idx1-ubyte[.gz]} and the test split as {@code t10k-*} or {@code test-*}.
 * Files are read into memory once; a truncated file keeps its complete images.
 */
public final class IdxSource extends FolderDataset implements InMemoryImages {
  private static final Pattern NAME =
      Pattern.compile("(train|t10k|test)-(images|labels)[.-]idx(\\d)-ubyte(\\.gz)?");

  private final Split train;
  private final Split eval;

  private IdxSource(
      String datasetId,
      Path folder,
      Split train,
      Split eval,
      int classes,
      List<BadInput> problems) {
    super(datasetId, folder, classes, problems);
    this.train = train;
    this.eval = eval;
  }

  /**
   * @throws IllegalArgumentException (one line) when the folder is missing, empty, or holds no
   *     usable train images and labels
   */
  public static IdxSource open(Path path) {
    Path folder = DatasetFiles.existingFolder("idx", path);
    Map<String, Path> files = new TreeMap<>();
    for (Path p : DatasetFiles.sortedEntries("idx", path, folder)) {
      Matcher m = NAME.matcher(p.getFileName().toString());
      if (m.matches()) {
        String split = m.group(1).equals("train") ? "train" : "test";
        files.putIfAbsent(split + "-" + m.group(2), p);
      }
    }
    if (!files.containsKey("train-images") || !files.containsKey("train-labels")) {
      throw new IllegalArgumentException(
          "idx:"
              + path
              + ": no train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] in the folder");
    }
    List<BadInput> problems = new ArrayList<>();
    Split train = split(files.get("train-images"), files.get("train-labels"), 0, problems);
    if (train == null || train.count == 0) {
      String why = problems.isEmpty() ? "no images" : problems.get(0).reason();
      throw new IllegalArgumentException(
          "idx:"
              + path
              + ": no usable train images ("
              + files.get("train-images")
              + ": "
              + why
              + ")");
    }
    Split eval = null;
    if (files.containsKey("test-images") && files.containsKey("test-labels")) {
      eval =
          split(
              files.get("test-images"),
              files.get("test-labels"),
              DatasetFiles.EVAL_ID_BASE,
              problems);
    }
    if (eval != null && (eval.height != train.height || eval.width != train.width)) {
      problems.add(
          new BadInput(
              files.get("test-images").toString(),
              "test images are "
                  + eval.height
                  + "x"
                  + eval.width
                  + " but train images "
                  + train.height
                  + "x"
                  + train.width
                  + "; test split skipped"));
      eval = null;
    }
    int maxLabel = 0;
    for (Split s : new Split[] {train, eval}) {
      if (s != null) {
        for (int i = 0; i < s.count; i++) {
          maxLabel = Math.max(maxLabel, s.label(i));
        }
      }
    }
    String id =
        DatasetFiles.datasetId(
            "idx",
            folder,
            List.of(
                folder.toString(),
                Long.toString(train.count),
                Long.toString(eval == null ? 0 : eval.count)));
    return new IdxSource(id, folder, train, eval, Math.max(2, maxLabel + 1), problems);
  }

  /** Images and labels of one split, or null (with a problem noted) when unusable. */
  private static Split split(
      Path imagesFile, Path labelsFile, long idBase, List<BadInput> problems) {
    Idx images = Idx.read(imagesFile, problems);
    Idx labels = Idx.read(labelsFile, problems);
    if (images == null || labels == null) {
      return null;
    }
    if (images.dims.length != 3 && !(images.dims.length == 4 && images.dims[3] == 1)) {
      problems.add(
          new BadInput(
              imagesFile.toString(),
              "expected an IDX image file (3 dimensions: count, rows, columns), found "
                  + images.dims.length
                  + " dimensions"));
      return null;
    }
    if (labels.dims.length != 1) {
      problems.add(
          new BadInput(
              labelsFile.toString(),
              "expected an IDX label file (1 dimension), found " + labels.dims.length));
      return null;
    }
    int count = Math.min(images.complete, labels.complete);
    if (images.complete != labels.complete) {
      problems.add(
          new BadInput(
              imagesFile.toString(),
              images.complete
                  + " images but "
                  + labels.complete
                  + " labels in "
                  + labelsFile.getFileName()
                  + "; using the first "
                  + count));
    }
    return new Split(
        images.data,
        images.offset,
        labels.data,
        labels.offset,
        count,
        images.dims[1],
        images.dims[2],
        idBase);
  }

  private record Split(
      byte[] pixels,
      int pixelsOffset,
      byte[] labels,
      int labelsOffset,
      int count,
      int height,
      int width,
      long idBase) {
    int label(int i) {
      return labels[labelsOffset + i] & 0xff;
    }

    LabelledImage image(long index) {
      int size = height * width;
      byte[] out = new byte[size];
      copy(index, out, 0);
      return new LabelledImage(idBase + index, label((int) index), height, width, 1, out);
    }

    void copy(long index, byte[] dest, int offset) {
      if (index < 0 || index >= count) {
        throw new IndexOutOfBoundsException("sample " + index + " outside 0.." + (count - 1));
      }
      int size = height * width;
      System.arraycopy(pixels, pixelsOffset + (int) index * size, dest, offset, size);
    }
  }

  /**
   * Bytes of one IDX file held in memory, header included. A header is read before anything is
   * allocated from it, and gzip can inflate a small file to any size, so what it promises is
   * capped; Fashion-MNIST's train images are 47 MB.
   */
  static final int MAX_IDX_BYTES = 1 << 30;

  /** One parsed IDX file: its dimensions and how many whole items the bytes hold. */
  private record Idx(byte[] data, int offset, int[] dims, int complete) {
    static Idx read(Path file, List<BadInput> problems) {
      try (InputStream in = DatasetFiles.open(file)) {
        return read(file, in, problems);
      } catch (IOException e) {
        problems.add(new BadInput(file.toString(), "unreadable: " + e.getMessage()));
        return null;
      }
    }

    private static Idx read(Path file, InputStream in, List<BadInput> problems) throws IOException {
      byte[] magicBytes = in.readNBytes(4);
      if (magicBytes.length < 4) {
        problems.add(new BadInput(file.toString(), "truncated: too short for an IDX header"));
        return null;
      }
      int magic = ByteBuffer.wrap(magicBytes).getInt();
      int ndims = magic & 0xff;
      if ((magic & 0xffffff00) != 0x00000800 || ndims < 1 || ndims > 4) {
        problems.add(
            new BadInput(
                file.toString(),
                String.format(
                    "wrong IDX magic number 0x%08X: expected 0x00000801 (labels) or 0x00000803"
                        + " (images), unsigned bytes",
                    magic)));
        return null;
      }
      byte[] dimBytes = in.readNBytes(4 * ndims);
      if (dimBytes.length < 4 * ndims) {
        problems.add(new BadInput(file.toString(), "truncated inside the IDX header"));
        return null;
      }
      ByteBuffer header = ByteBuffer.wrap(dimBytes);
      int[] dims = new int[ndims];
      long itemBytes = 1;
      for (int i = 0; i < ndims; i++) {
        dims[i] = header.getInt();
        if (dims[i] < 0 || (i > 0 && (dims[i] == 0 || dims[i] > 16_384))) {
          problems.add(
              new BadInput(file.toString(), "IDX header is corrupt: dimension " + dims[i]));
          return null;
        }
        if (i > 0) {
          itemBytes = Math.multiplyExact(itemBytes, dims[i]);
        }
      }
      int headerBytes = 4 + 4 * ndims;
      // Up to 2^31 items of 16384^3 bytes overflow a long: such a header promises too much anyway.
      long promised;
      try {
        promised = Math.addExact(headerBytes, Math.multiplyExact(itemBytes, dims[0]));
      } catch (ArithmeticException e) {
        promised = Long.MAX_VALUE;
      }
      if (promised > MAX_IDX_BYTES) {
        problems.add(
            new BadInput(
                file.toString(),
                "IDX header promises "
                    + dims[0]
                    + " items of "
                    + itemBytes
                    + " bytes ("
                    + promised
                    + " bytes), over the limit of "
                    + MAX_IDX_BYTES
                    + " bytes ingest holds in memory per file; use an image folder for a dataset"
                    + " this large"));
        return null;
      }
      DatasetFiles.Contents contents = DatasetFiles.readUpTo(in, (int) promised - headerBytes);
      if (contents.more()) {
        problems.add(
            new BadInput(
                file.toString(),
                (file.getFileName().toString().endsWith(".gz") ? "gzip stream inflates" : "file")
                    + " beyond the "
                    + promised
                    + " bytes its IDX header promises ("
                    + dims[0]
                    + " items of "
                    + itemBytes
                    + " bytes): corrupt or not the file it claims to be; skipped"));
        return null;
      }
      byte[] bytes = contents.bytes();
      int complete = (int) Math.min(dims[0], bytes.length / itemBytes);
      if (complete < dims[0] || contents.cutOff()) {
        problems.add(
            new BadInput(
                file.toString(),
                "truncated: header promises "
                    + dims[0]
                    + " items, file holds "
                    + complete
                    + (contents.cutOff() ? " (gzip stream cut off)" : "")
                    + "; using those"));
      }
      return new Idx(bytes, 0, dims, complete);
    }
  }

  @Override
  public String describe() {
    return "IDX dataset "
        + folder
        + " ("
        + train.count
        + " train, "
        + evalSize()
        + " eval images, "
        + train.height
        + "x"
        + train.width
        + " grey, "
        + classes
        + " classes)";
  }

  @Override
  public long trainSize() {
    return train.count;
  }

  @Override
  public long evalSize() {
    return eval == null ? 0 : eval.count;
  }

  @Override
  public LabelledImage train(long index) {
    return train.image(index);
  }

  @Override
  public LabelledImage eval(long index) {
    if (eval == null) {
      throw new IndexOutOfBoundsException("this IDX dataset has no test split");
    }
    return eval.image(index);
  }

  @Override
  public ImageShape shape(boolean eval) {
    Split s = split(eval);
    return new ImageShape(s.height, s.width, 1);
  }

  @Override
  public long sampleId(boolean eval, long index) {
    return split(eval).idBase + index;
  }

  @Override
  public int label(boolean eval, long index) {
    return split(eval).label((int) index);
  }

  @Override
  public void copyPixels(boolean eval, long index, byte[] dest, int offset) {
    split(eval).copy(index, dest, offset);
  }

  private Split split(boolean evalSplit) {
    if (evalSplit && eval == null) {
      throw new IndexOutOfBoundsException("this IDX dataset has no test split");
    }
    return evalSplit ? eval : train;
  }
}
