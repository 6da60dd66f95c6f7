package dev.ambient.controller.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CoalescedPassTest {
  @Test
  void requestsWhileAPassWaitsFoldIntoOneAndARequestDuringAPassIsNotLost() throws Exception {
    AtomicInteger passes = new AtomicInteger();
    CountDownLatch firstRunning = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (CoalescedPass p =
        new CoalescedPass(
            "coalesced-test",
            () -> {
              if (passes.incrementAndGet() == 1) {
                firstRunning.countDown();
                await(release);
              }
            })) {
      p.schedule(Duration.ZERO);
      await(firstRunning);
      // The first pass is under way: these requests become one more pass, not five.
      for (int i = 0; i < 5; i++) {
        p.schedule(Duration.ZERO);
      }
      release.countDown();
      // Queued behind the coalesced pass on the same thread, so both have run when it returns.
      p.runAndWait();
      assertThat(passes.get()).isEqualTo(3);
    }
  }

  @Test
  void requestsAfterCloseAreIgnored() {
    AtomicInteger passes = new AtomicInteger();
    CoalescedPass p = new CoalescedPass("coalesced-test", passes::incrementAndGet);
    p.close();
    p.schedule(Duration.ZERO);
    assertThat(passes.get()).isZero();
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(30, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
