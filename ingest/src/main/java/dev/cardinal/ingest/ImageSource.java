package dev.cardinal.ingest;

/**
 * A labelled dataset with a train and an eval split, addressable by index so that ingest can
 * shuffle, resume mid-epoch and replay deterministically.
 */
public interface ImageSource {
  /** Stable name of the dataset; goes into every batch and checkpoint manifest. */
  String datasetId();

  int classes();

  long trainSize();

  long evalSize();

  LabelledImage train(long index);

  LabelledImage eval(long index);
}
