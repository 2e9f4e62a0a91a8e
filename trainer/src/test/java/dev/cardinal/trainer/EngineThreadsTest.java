package dev.cardinal.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.cardinal.core.testing.SyntheticImages;
import dev.cardinal.core.wire.ImageBatch;
import dev.cardinal.trainer.model.ModelPresets;
import dev.cardinal.trainer.testing.NativeThreads;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class EngineThreadsTest {
  @Test
  void everyCallerGetsTheOneEngineThreadAndATurnWithinATurnRunsInPlace() {
    Thread fromHere = EngineThreads.call(Thread::currentThread);
    Thread fromElsewhere =
        CompletableFuture.supplyAsync(() -> EngineThreads.call(Thread::currentThread)).join();
    Thread nested = EngineThreads.call(() -> EngineThreads.call(Thread::currentThread));

    assertThat(fromHere)
        .isSameAs(fromElsewhere)
        .isSameAs(nested)
        .isNotSameAs(Thread.currentThread());
    assertThat(fromHere.getName()).isEqualTo("cardinal-engine");
    assertThat(fromHere.isDaemon()).isTrue();
    assertThat(EngineThreads.onEngineThread()).isFalse();
    assertThat(EngineThreads.call(EngineThreads::onEngineThread)).isTrue();
  }

  @Test
  void aFailingTurnThrowsItsOwnExceptionToTheCallerAndTheEngineGoesOn() {
    assertThatThrownBy(
            () ->
                EngineThreads.run(
                    () -> {
                      throw new IllegalArgumentException("batch of 0 images");
                    }))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("batch of 0 images");
    assertThat(EngineThreads.call(() -> 42)).isEqualTo(42);
  }

  @Test
  void anInterruptedCallerWaitsForItsTurnToEndAndKeepsTheInterrupt() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    AtomicBoolean turnEnded = new AtomicBoolean();
    CompletableFuture<Boolean> seenByCaller = new CompletableFuture<>();
    Thread caller =
        new Thread(
            () -> {
              EngineThreads.run(
                  () -> {
                    started.countDown();
                    sleepUninterruptibly(300);
                    turnEnded.set(true);
                  });
              // The caller may free what the turn used as soon as call returns.
              seenByCaller.complete(turnEnded.get() && Thread.currentThread().isInterrupted());
            });
    caller.start();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    caller.interrupt();
    assertThat(seenByCaller.get(10, TimeUnit.SECONDS)).isTrue();
  }

  /**
   * The point of the engine's thread: training from any thread starts no OpenMP team on that thread
   * (libgomp's workers carry the name of the thread that started them), so the process has one
   * team, the engine's, of the budget's size.
   */
  @Test
  @EnabledOnOs(OS.LINUX)
  void trainingFromAnotherThreadComputesOnTheEnginesOneTeam() {
    ImageBatch batch = SyntheticImages.noise(new Random(3), 0, 32, 28, 1, 10, 60_000);
    TrainerConfig config =
        TrainerConfig.of("engine-team", "resnet20", Recipe.named("fashion-mnist"), 10);
    NativeThreads.Outcome<Float> trained =
        NativeThreads.runOnThreadNamed(
            "trains-elsewhere",
            () -> {
              try (TrainingSession session =
                  TrainingSession.open(
                      config,
                      null,
                      Device.cpu(),
                      ModelPresets.get("resnet20").withNumClasses(10),
                      batch,
                      null)) {
                session.trainStep(batch, 0, true);
                return session.trainStep(batch, 1, true).loss();
              }
            });

    assertThat(trained.value()).isFinite();
    assertThat(trained.threadsNamedLikeIt()).isEqualTo(1);
    assertThat(NativeThreads.named("cardinal-engine")).isEqualTo(EngineThreads.inForce().intraOp());
  }

  private static void sleepUninterruptibly(long millis) {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (System.nanoTime() < end) {
      try {
        Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
      } catch (InterruptedException e) {
        // keep sleeping: this turn outlasts its caller's interrupt on purpose
      }
    }
  }
}
