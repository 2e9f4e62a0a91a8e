/** The {@code cardinal} command: wires the stages together, in one JVM or one per process. */
package dev.cardinal.app;
