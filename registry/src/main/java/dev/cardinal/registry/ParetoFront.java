package dev.cardinal.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** The Pareto front of a set of points by a cost to minimize and a score to maximize. */
final class ParetoFront {
  private ParetoFront() {}

  /**
   * The points no other point dominates: none has at most their cost and at least their score while
   * being strictly better in one of the two. Points with equal cost and score are all on it.
   */
  static <T> List<T> of(List<T> points, ToDoubleFunction<T> cost, ToDoubleFunction<T> score) {
    List<T> front = new ArrayList<>();
    for (T p : points) {
      boolean dominated = false;
      for (T q : points) {
        double qc = cost.applyAsDouble(q);
        double pc = cost.applyAsDouble(p);
        double qs = score.applyAsDouble(q);
        double ps = score.applyAsDouble(p);
        if (qc <= pc && qs >= ps && (qc < pc || qs > ps)) {
          dominated = true;
          break;
        }
      }
      if (!dominated) {
        front.add(p);
      }
    }
    return front;
  }
}
