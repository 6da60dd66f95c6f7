package dev.ambient.ztunnel.identity;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter for failed certificate fetches: the n-th consecutive failure
 * waits a random time in [d/2, d] where d = initial * 2^(n-1), capped at {@code max}. The jitter
 * keeps many ztunnels from retrying against a recovering CA in lock step.
 */
public record RetryPolicy(Duration initial, Duration max) {
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(150));

  public RetryPolicy {
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("retry initial delay must be positive");
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("retry max delay must be >= initial delay");
    }
  }

  public Duration delay(int failures) {
    long ceiling = initial.toMillis();
    for (int i = 1; i < failures && ceiling < max.toMillis(); i++) {
      ceiling *= 2;
    }
    ceiling = Math.min(ceiling, max.toMillis());
    long floor = ceiling / 2;
    return Duration.ofMillis(floor + ThreadLocalRandom.current().nextLong(ceiling - floor + 1));
  }
}
