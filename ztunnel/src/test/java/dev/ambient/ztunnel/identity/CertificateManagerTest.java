package dev.ambient.ztunnel.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.testing.TestPki;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CertificateManagerTest {
  private final TestPki pki = new TestPki("cluster.local");
  private final SpiffeId web = pki.identity("default", "web");
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
  private final RetryPolicy fastRetry =
      new RetryPolicy(Duration.ofMillis(20), Duration.ofMillis(200));

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
  }

  /** A fetcher whose answers the test controls. */
  private static final class HeldFetcher implements CertificateFetcher {
    final List<SpiffeId> calls = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<WorkloadCertificate>> pending = new CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<WorkloadCertificate> fetch(SpiffeId identity) {
      CompletableFuture<WorkloadCertificate> f = new CompletableFuture<>();
      calls.add(identity);
      pending.add(f);
      return f;
    }
  }

  private CertificateManager manager(CertificateFetcher fetcher) {
    return new CertificateManager(fetcher, id -> true, scheduler, fastRetry, Clock.systemUTC());
  }

  @Test
  void concurrentRequestsShareOneFetch() throws Exception {
    HeldFetcher fetcher = new HeldFetcher();
    CertificateManager m = manager(fetcher);
    List<CompletableFuture<WorkloadCertificate>> answers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      answers.add(m.certificate(web));
    }
    await().until(() -> fetcher.calls.size() == 1);
    assertThat(m.describe())
        .singleElement()
        .extracting(CertificateInfo::state)
        .isEqualTo(CertificateInfo.State.PENDING);
    WorkloadCertificate cert = pki.issue(web);
    fetcher.pending.get(0).complete(cert);
    for (CompletableFuture<WorkloadCertificate> a : answers) {
      assertThat(a.get(10, TimeUnit.SECONDS)).isSameAs(cert);
    }
    assertThat(m.cached(web)).isSameAs(cert);
    assertThat(m.certificate(web).get(10, TimeUnit.SECONDS)).isSameAs(cert);
    assertThat(fetcher.calls).hasSize(1);
    CertificateInfo info = m.describe().get(0);
    assertThat(info.state()).isEqualTo(CertificateInfo.State.VALID);
    assertThat(info.serialHex()).isEqualTo(cert.leaf().getSerialNumber().toString(16));
    assertThat(info.notAfter()).isEqualTo(cert.notAfter());
  }

  @Test
  void atMostEightFetchesRunAtOnce() {
    HeldFetcher fetcher = new HeldFetcher();
    CertificateManager m = manager(fetcher);
    List<CompletableFuture<WorkloadCertificate>> answers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      answers.add(m.certificate(pki.identity("ns" + i, "sa")));
    }
    await().until(() -> fetcher.calls.size() == 8);
    assertThat(fetcher.calls).hasSize(8);
    SpiffeId first = fetcher.calls.get(0);
    fetcher.pending.get(0).complete(pki.issue(first));
    await().until(() -> fetcher.calls.size() == 9);
    for (int i = 1; i < 9; i++) {
      fetcher.pending.get(i).complete(pki.issue(fetcher.calls.get(i)));
    }
    await().until(() -> fetcher.calls.size() == 12);
    for (int i = 9; i < 12; i++) {
      fetcher.pending.get(i).complete(pki.issue(fetcher.calls.get(i)));
    }
    await()
        .until(() -> answers.stream().allMatch(a -> a.isDone() && !a.isCompletedExceptionally()));
  }

  @Test
  void refusesIdentitiesNotOnThisNode() {
    HeldFetcher fetcher = new HeldFetcher();
    SpiffeId other = pki.identity("shop", "cart");
    CertificateManager m =
        new CertificateManager(
            fetcher, id -> id.equals(web), scheduler, fastRetry, Clock.systemUTC());
    CompletableFuture<WorkloadCertificate> f = m.certificate(other);
    assertThat(f).isCompletedExceptionally();
    assertThat(f.handle((c, e) -> e).join())
        .isInstanceOf(CertificateUnavailableException.class)
        .hasMessageContaining(other.uri())
        .hasMessageContaining("not a workload on this node");
    assertThat(fetcher.calls).isEmpty();
    assertThat(m.cached(other)).isNull();
  }

  @Test
  void keepsTheOldCertificateWhileRenewalFailsAndRetriesWithBackoff() throws Exception {
    AtomicBoolean caDown = new AtomicBoolean(false);
    AtomicInteger calls = new AtomicInteger();
    // Half-life about a second from now, expiry an hour away (X.509 keeps whole seconds).
    Instant now = Instant.now();
    WorkloadCertificate first =
        pki.issue(
            web, now.minus(Duration.ofHours(1)), now.plus(Duration.ofHours(1)).plusSeconds(3));
    CertificateFetcher fetcher =
        id -> {
          int n = calls.incrementAndGet();
          if (n == 1) {
            return CompletableFuture.completedFuture(first);
          }
          if (caDown.get()) {
            return CompletableFuture.failedFuture(
                new CaRequestException(Status.Code.UNAVAILABLE, "CA unreachable (test)"));
          }
          return CompletableFuture.completedFuture(pki.issue(id));
        };
    caDown.set(true);
    CertificateManager m = manager(fetcher);
    assertThat(m.certificate(web).get(10, TimeUnit.SECONDS)).isSameAs(first);

    await().until(() -> calls.get() >= 4);
    CertificateInfo info = m.describe().get(0);
    assertThat(info.state()).isEqualTo(CertificateInfo.State.FAILED);
    assertThat(info.lastError()).contains("CA unreachable (test)");
    assertThat(info.nextAttempt()).isNotNull();
    assertThat(m.cached(web)).isSameAs(first);
    assertThat(m.certificate(web).get(10, TimeUnit.SECONDS)).isSameAs(first);

    caDown.set(false);
    await().until(() -> m.cached(web) != first);
    assertThat(m.cached(web).identity()).isEqualTo(web);
    assertThat(m.describe().get(0).state()).isEqualTo(CertificateInfo.State.VALID);
    assertThat(m.describe().get(0).lastError()).isNull();
  }

  @Test
  void firstFetchFailureFailsTheWaitersAndLaterCallsWhileBackingOff() {
    RetryPolicy slow = new RetryPolicy(Duration.ofMinutes(10), Duration.ofMinutes(10));
    CertificateManager m =
        new CertificateManager(
            id ->
                CompletableFuture.failedFuture(
                    new CaRequestException(Status.Code.PERMISSION_DENIED, "denied (test)")),
            id -> true,
            scheduler,
            slow,
            Clock.systemUTC());
    CompletableFuture<WorkloadCertificate> f = m.certificate(web);
    assertThat(f.handle((c, e) -> e).join())
        .isInstanceOf(CertificateUnavailableException.class)
        .hasMessageContaining("denied (test)");
    // During backoff: an immediate, clear answer instead of a parked caller.
    assertThat(m.certificate(web).handle((c, e) -> e).join())
        .hasMessageContaining("denied (test)")
        .hasMessageContaining("next attempt at");
  }

  @Test
  void retainDropsCertificatesNoLongerNeeded() throws Exception {
    CertificateManager m = manager(id -> CompletableFuture.completedFuture(pki.issue(id)));
    SpiffeId other = pki.identity("shop", "cart");
    m.certificate(web).get(10, TimeUnit.SECONDS);
    m.certificate(other).get(10, TimeUnit.SECONDS);
    m.retain(Set.of(web));
    assertThat(m.cached(other)).isNull();
    assertThat(m.cached(web)).isNotNull();
    assertThat(m.describe()).extracting(CertificateInfo::identity).containsExactly(web);
  }

  @Test
  void pendingCallersFailWhenTheIdentityIsDropped() {
    HeldFetcher fetcher = new HeldFetcher();
    CertificateManager m = manager(fetcher);
    CompletableFuture<WorkloadCertificate> f = m.certificate(web);
    m.retain(Set.of());
    assertThat(f.handle((c, e) -> e).join()).hasMessageContaining("no longer needed");
  }

  @Test
  void backoffGrowsAndIsCappedAt150Seconds() {
    RetryPolicy p = RetryPolicy.DEFAULT;
    assertThat(p.delay(1)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
    assertThat(p.delay(4)).isBetween(Duration.ofSeconds(4), Duration.ofSeconds(8));
    for (int i = 0; i < 50; i++) {
      assertThat(p.delay(30)).isBetween(Duration.ofSeconds(75), Duration.ofSeconds(150));
    }
  }

  @Test
  void callersAreNeverBlockedOnTheFetch() throws Exception {
    HeldFetcher fetcher = new HeldFetcher();
    CertificateManager m = manager(fetcher);
    CompletableFuture<WorkloadCertificate> f = m.certificate(web);
    assertThat(f).isNotDone();
    f.cancel(false); // one caller giving up must not affect the shared fetch
    CompletableFuture<WorkloadCertificate> g = m.certificate(web);
    await().until(() -> fetcher.pending.size() == 1);
    fetcher.pending.get(0).complete(pki.issue(web));
    assertThat(g.get(10, TimeUnit.SECONDS).identity()).isEqualTo(web);
    assertThat(fetcher.calls).hasSize(1);
    assertThatCancelled(f);
  }

  private static void assertThatCancelled(CompletableFuture<?> f) {
    assertThat(f.isCancelled()).isTrue();
  }

  @SuppressWarnings("unused")
  private static Throwable cause(CompletableFuture<?> f) throws InterruptedException {
    try {
      f.get();
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }
}
