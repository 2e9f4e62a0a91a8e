package dev.cardinal.registry;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.util.retry.Retry;

/**
 * How the registry's background work runs: on named daemon threads (a stuck one never keeps the JVM
 * up), stopped with a bounded wait, and consumers that restart after a failure.
 */
final class Background {
  private static final Duration STOP_WAIT = Duration.ofSeconds(5);

  private Background() {}

  static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** One daemon thread for periodic work. */
  static ScheduledExecutorService timer(String name) {
    return Executors.newSingleThreadScheduledExecutor(daemon(name));
  }

  /** Interrupts what runs and waits a few seconds for it to end. */
  static void stop(ExecutorService executor) {
    executor.shutdownNow();
    try {
      executor.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Runs a consumer for as long as the registry runs: resubscribes it after a failure, waiting 1 s
   * to 30 s between tries, and logs each failure saying what restarts.
   *
   * @return what stops it
   */
  static Disposable consumeForever(Flux<?> consumer, Logger log, String whatRestarts) {
    return consumer
        .retryWhen(
            Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1))
                .maxBackoff(Duration.ofSeconds(30))
                .doBeforeRetry(s -> log.error("{}: {}", whatRestarts, s.failure().toString())))
        .subscribe();
  }
}
