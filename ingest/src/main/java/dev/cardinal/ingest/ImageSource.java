package dev.cardinal.ingest;

/**
 * A labelled dataset with a train and an eval split, addressable by index so that ingest can
 * shuffle, resume mid-epoch and replay deterministically.
 */
public non-sealed interface ImageSource extends DataSource {
  long trainSize();

  long evalSize();

  /**
   * @throws BadImageException when this one image cannot be read; ingest skips it
   */
  LabelledImage train(long index);

  /**
   * @throws BadImageException when this one image cannot be read; ingest skips it
   */
  LabelledImage eval(long index);

  /**
   * Shape of a train image before decoding it, so batches can group images of one size. Null (the
   * default) means every image of the source has the same small shape.
   */
  default ImageShape trainShape(long index) {
    return null;
  }

  default ImageShape evalShape(long index) {
    return null;
  }
}
