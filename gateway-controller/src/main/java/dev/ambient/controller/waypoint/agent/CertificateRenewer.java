package dev.ambient.controller.waypoint.agent;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.CertificateFetcher;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the pod's certificate fresh: fetches one at start (a new in-memory EC P-256 key and CSR
 * each time, by the fetcher), hands it to the consumer (the SDS server), and fetches the next at
 * half-life ({@link WorkloadCertificate#refreshAt}). A failed request is retried after a back-off
 * (1 s doubling to 30 s); the current certificate keeps serving meanwhile. Runs on its own
 * scheduler thread; nothing here logs key material.
 */
final class CertificateRenewer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CertificateRenewer.class);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  private static final Duration MAX_RETRY = Duration.ofSeconds(30);
  private static final Duration MIN_WAIT = Duration.ofSeconds(1);

  private final CertificateFetcher fetcher;
  private final SpiffeId identity;
  private final Consumer<WorkloadCertificate> consumer;
  private final Clock clock;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "waypoint-cert-renewal");
            t.setDaemon(true);
            return t;
          });
  private final CompletableFuture<WorkloadCertificate> first = new CompletableFuture<>();
  private volatile WorkloadCertificate current;
  private volatile boolean closed;

  CertificateRenewer(
      CertificateFetcher fetcher,
      SpiffeId identity,
      Consumer<WorkloadCertificate> consumer,
      Clock clock) {
    this.fetcher = fetcher;
    this.identity = identity;
    this.consumer = consumer;
    this.clock = clock;
  }

  void start() {
    scheduler.execute(() -> fetch(FIRST_RETRY));
  }

  /** Completes with the first certificate obtained. */
  CompletableFuture<WorkloadCertificate> first() {
    return first;
  }

  WorkloadCertificate current() {
    return current;
  }

  private void fetch(Duration retry) {
    if (closed) {
      return;
    }
    fetcher
        .fetch(identity)
        .whenComplete(
            (cert, error) -> {
              if (closed) {
                return;
              }
              if (error != null) {
                LOG.warn(
                    "certificate for {} not obtained, retrying in {}s: {}",
                    identity,
                    retry.toSeconds(),
                    error.getMessage());
                schedule(retry, next(retry));
                return;
              }
              current = cert;
              try {
                consumer.accept(cert);
              } catch (RuntimeException e) {
                LOG.error("certificate for {} not served: {}", identity, e.toString());
              }
              first.complete(cert);
              Duration wait = Duration.between(clock.instant(), cert.refreshAt());
              LOG.info(
                  "certificate for {} valid until {}; renewing at {}",
                  identity,
                  cert.notAfter(),
                  cert.refreshAt());
              // Never sooner than a second: a certificate already past half-life (clock skew, a
              // CA capping the lifetime) must not turn into a request loop.
              schedule(wait.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : wait, FIRST_RETRY);
            });
  }

  private void schedule(Duration delay, Duration retryAfterThat) {
    if (closed) {
      return;
    }
    try {
      scheduler.schedule(() -> fetch(retryAfterThat), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  private static Duration next(Duration retry) {
    Duration doubled = retry.multipliedBy(2);
    return doubled.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : doubled;
  }

  /** Whether the current certificate is still valid (readiness also needs Envoy's). */
  boolean hasValidCertificate() {
    WorkloadCertificate c = current;
    Instant now = clock.instant();
    return c != null && c.isValidAt(now);
  }

  @Override
  public void close() {
    closed = true;
    scheduler.shutdownNow();
  }
}
