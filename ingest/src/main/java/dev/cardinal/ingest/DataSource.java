package dev.cardinal.ingest;

import java.util.List;

/**
 * What ingest streams: either a finite, index-addressable {@link ImageSource} (replayed for N
 * epochs, reshuffled each) or an endless {@link ImageStream} (each image once, as it arrives).
 */
public sealed interface DataSource permits ImageSource, ImageStream {
  /** Stable name of the dataset; goes into every batch and checkpoint manifest. */
  String datasetId();

  int classes();

  /** One line for the start of the output: what is ingested, from where. */
  default String describe() {
    return datasetId();
  }

  /** Bad files found while opening; ingest sends each to the dead-letter topic when it starts. */
  default List<BadInput> problems() {
    return List.of();
  }
}
