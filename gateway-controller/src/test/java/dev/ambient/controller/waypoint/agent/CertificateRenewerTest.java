package dev.ambient.controller.waypoint.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.CertificateFetcher;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import dev.ambient.ztunnel.testing.TestPki;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Renewal at half-life and retry after a refused request, with short-lived test certificates. */
class CertificateRenewerTest {
  private final TestPki pki = new TestPki("cluster.local");
  private final SpiffeId id = SpiffeId.of("cluster.local", "default", "waypoint-sa");

  /** Certificates valid for two seconds: half-life comes round quickly. */
  private WorkloadCertificate shortLived() {
    Instant now = Instant.now();
    return pki.issue(id, now.minusSeconds(1), now.plusSeconds(2));
  }

  @Test
  void renewsAtHalfLifeAndHandsEachNewCertificateOn() throws Exception {
    List<WorkloadCertificate> served = new CopyOnWriteArrayList<>();
    CertificateFetcher fetcher = identity -> CompletableFuture.completedFuture(shortLived());
    try (CertificateRenewer r =
        new CertificateRenewer(fetcher, id, served::add, Clock.systemUTC())) {
      r.start();
      assertThat(r.first().get(30, TimeUnit.SECONDS).identity()).isEqualTo(id);
      await(() -> served.size() >= 3, "two renewals");
    }
    assertThat(served).doesNotHaveDuplicates();
  }

  @Test
  void retriesARefusedRequestAndKeepsTheCurrentCertificateMeanwhile() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    List<WorkloadCertificate> served = new CopyOnWriteArrayList<>();
    CertificateFetcher fetcher =
        identity ->
            calls.incrementAndGet() == 1
                ? CompletableFuture.failedFuture(new IllegalStateException("CA unreachable"))
                : CompletableFuture.completedFuture(pki.issue(identity));
    try (CertificateRenewer r =
        new CertificateRenewer(fetcher, id, served::add, Clock.systemUTC())) {
      r.start();
      WorkloadCertificate first = r.first().get(30, TimeUnit.SECONDS);
      assertThat(calls.get()).isEqualTo(2);
      assertThat(served).containsExactly(first);
      assertThat(r.hasValidCertificate()).isTrue();
    }
  }

  private static void await(java.util.function.BooleanSupplier c, String what)
      throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
