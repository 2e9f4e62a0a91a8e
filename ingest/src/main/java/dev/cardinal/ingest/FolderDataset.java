package dev.cardinal.ingest;

import java.nio.file.Path;
import java.util.List;

/**
 * A finite dataset read from files in a folder (IDX, CIFAR binary, an image folder): what every
 * such source knows alike once opened, its id, where it is, how many classes it has and the inputs
 * it skipped.
 */
abstract class FolderDataset implements ImageSource {
  protected final String datasetId;
  protected final Path folder;
  protected final int classes;
  private final List<BadInput> problems;

  FolderDataset(String datasetId, Path folder, int classes, List<BadInput> problems) {
    this.datasetId = datasetId;
    this.folder = folder;
    this.classes = classes;
    this.problems = List.copyOf(problems);
  }

  @Override
  public final String datasetId() {
    return datasetId;
  }

  @Override
  public final int classes() {
    return classes;
  }

  @Override
  public final List<BadInput> problems() {
    return problems;
  }
}
