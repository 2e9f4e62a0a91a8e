package dev.cardinal.core.schedule;

import java.util.Arrays;

/**
 * How one parameter moves across one segment, as a function of the position {@code t} in [0, 1]
 * within it: constant, a linear ramp (optionally quantized to a step, as FFCV rounds its resolution
 * ramp to multiples of 32), or equal-length steps through listed values.
 */
sealed interface Value {

  double at(double t);

  /** Every value this segment can produce, for integer parameters (resolutions). */
  double[] distinct();

  record Constant(double value) implements Value {
    @Override
    public double at(double t) {
      return value;
    }

    @Override
    public double[] distinct() {
      return new double[] {value};
    }
  }

  /** Linear from {@code start} to {@code end}; with {@code step > 0} rounded to its multiples. */
  record Ramp(double start, double end, double step) implements Value {
    @Override
    public double at(double t) {
      double v = start + (end - start) * Math.min(1, Math.max(0, t));
      return step > 0 ? Math.round(v / step) * step : v;
    }

    @Override
    public double[] distinct() {
      double lo = Math.min(at(0), at(1));
      double hi = Math.max(at(0), at(1));
      double by = step > 0 ? step : 1;
      int n = (int) Math.min(10_000, Math.floor((hi - lo) / by + 1e-9) + 1);
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        out[i] = lo + i * by;
      }
      return out;
    }
  }

  /** {@code values.length} equal parts of the segment, one value each. */
  record Steps(double[] values) implements Value {
    @Override
    public double at(double t) {
      int i = (int) Math.floor(Math.min(1, Math.max(0, t)) * values.length);
      return values[Math.min(values.length - 1, i)];
    }

    @Override
    public double[] distinct() {
      return values.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Steps s && Arrays.equals(values, s.values);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
      return "Steps" + Arrays.toString(values);
    }
  }
}
