package dev.cardinal.ingest;

/** One image with its label, pixels uint8 HWC. */
public record LabelledImage(
    long sampleId, int label, int height, int width, int channels, byte[] pixels) {}
