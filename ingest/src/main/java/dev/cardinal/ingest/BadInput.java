package dev.cardinal.ingest;

/**
 * A file (or part of one) that ingest skipped.
 *
 * @param origin the file path, or path plus record position
 * @param reason what was wrong, for the dead-letter record
 */
public record BadInput(String origin, String reason) {}
