package dev.cardinal.core.event;

import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * One point of a scaling study: a model and the knobs a study scales, trained as its own run (own
 * run id, own consumer group) on the sweep's shared stream for the sweep's budget.
 *
 * @param pointId stable name of the point within its sweep, derived from its knobs (so extending a
 *     sweep with a point it already has adds nothing)
 * @param runId the run that trains this point: {@code <sweepId>-<pointId>}, at most 64 characters
 * @param preset the model preset the point starts from ({@code cardinal models} lists them)
 * @param family the preset's family for grouping and colour: {@code resnet}, {@code resnext},
 *     {@code resnest}, {@code resnet-rs} or {@code wide-resnet}
 * @param widthMultiplier scales every stage's width (1 = the preset's)
 * @param depth total depth of the network when the point changes it, or null for the preset's
 * @param trainResolution the side, in pixels, this point trains at (the trainer resizes batches
 *     that arrive at another resolution)
 * @param regularization scales the run's weight decay, label smoothing, dropout and drop-path (1 =
 *     the recipe's and schedule's)
 * @param macs multiply-accumulates of one forward pass at {@code trainResolution}
 * @param parameters trainable parameters
 */
@RecordBuilder
public record SweepPoint(
    String pointId,
    String runId,
    String preset,
    String family,
    double widthMultiplier,
    Integer depth,
    int trainResolution,
    double regularization,
    long macs,
    long parameters)
    implements SweepPointBuilder.With {}
