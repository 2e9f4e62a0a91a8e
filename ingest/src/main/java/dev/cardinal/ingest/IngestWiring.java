package dev.cardinal.ingest;

import java.util.function.BooleanSupplier;

/**
 * What both ways of ingesting, a {@link FiniteReplay} of a source and a {@link StreamIngest} of
 * arrivals, work with: the options, where batches go, how images become batches, and whether to go
 * on.
 *
 * @param running false once the stage is asked to stop: ingesting then commits and returns
 */
record IngestWiring(
    IngestOptions options, IngestOutput output, BatchAssembler assembler, BooleanSupplier running) {

  boolean stopping() {
    return !running.getAsBoolean();
  }
}
