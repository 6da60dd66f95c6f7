package dev.ambient.ztunnel.identity;

import dev.ambient.api.spiffe.SpiffeId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-identity certificate cache for the workloads on this node.
 *
 * <p>One fetch per identity at a time (callers asking meanwhile share it), at most {@link
 * #MAX_CONCURRENT_FETCHES} fetches at once, renewal at half-life, and on failure retries with
 * backoff while the old certificate keeps serving until it expires. Identities that are not local
 * are refused so a compromised or confused caller cannot make this node collect other nodes'
 * identities.
 *
 * <p>All state sits behind this object's monitor, held only briefly; fetches start on the scheduler
 * and futures are completed outside the monitor, so no caller (an event loop included) ever blocks
 * on the CA.
 */
public final class CertificateManager implements CertificateProvider, AutoCloseable {
  public static final int MAX_CONCURRENT_FETCHES = 8;
  private static final Logger log = LoggerFactory.getLogger(CertificateManager.class);
  private static final Duration MIN_REFRESH_DELAY = Duration.ofMillis(100);

  private final CertificateFetcher fetcher;
  private final Predicate<SpiffeId> isLocal;
  private final ScheduledExecutorService scheduler;
  private final RetryPolicy retry;
  private final Clock clock;

  private final Map<SpiffeId, Entry> entries = new HashMap<>();
  private final ArrayDeque<Entry> queue = new ArrayDeque<>();
  private int active;
  private boolean closed;

  private static final class Entry {
    final SpiffeId id;
    WorkloadCertificate current;

    /** One future per caller waiting for the in-flight fetch (none if the list is empty). */
    final List<CompletableFuture<WorkloadCertificate>> waiters = new ArrayList<>();

    boolean fetching;
    int failures;
    String lastError;
    Instant nextAttempt;
    ScheduledFuture<?> timer;

    Entry(SpiffeId id) {
      this.id = id;
    }

    boolean hasValid(Instant now) {
      return current != null && current.isValidAt(now);
    }

    void cancelTimer() {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      nextAttempt = null;
    }
  }

  /**
   * @param fetcher obtains new certificates (the CA client, or an in-process CA in tests)
   * @param isLocal whether an identity belongs to a workload on this node
   * @param scheduler runs fetches and timers; owned by the caller
   */
  public CertificateManager(
      CertificateFetcher fetcher, Predicate<SpiffeId> isLocal, ScheduledExecutorService scheduler) {
    this(fetcher, isLocal, scheduler, RetryPolicy.DEFAULT, Clock.systemUTC());
  }

  public CertificateManager(
      CertificateFetcher fetcher,
      Predicate<SpiffeId> isLocal,
      ScheduledExecutorService scheduler,
      RetryPolicy retry,
      Clock clock) {
    this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
    this.isLocal = Objects.requireNonNull(isLocal, "isLocal");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.retry = Objects.requireNonNull(retry, "retry");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public CompletableFuture<WorkloadCertificate> certificate(SpiffeId identity) {
    Objects.requireNonNull(identity, "identity");
    boolean local;
    try {
      local = isLocal.test(identity);
    } catch (RuntimeException e) {
      // Fail closed: an identity we cannot place on this node gets no certificate.
      local = false;
    }
    if (!local) {
      return CompletableFuture.failedFuture(
          new CertificateUnavailableException(
              "identity " + identity + " is not a workload on this node; certificate refused"));
    }
    List<Entry> toStart = new ArrayList<>();
    CompletableFuture<WorkloadCertificate> answer;
    synchronized (this) {
      if (closed) {
        return CompletableFuture.failedFuture(
            new CertificateUnavailableException("certificate manager is closed"));
      }
      Entry e = entries.computeIfAbsent(identity, Entry::new);
      if (e.hasValid(clock.instant())) {
        return CompletableFuture.completedFuture(e.current);
      }
      if (e.waiters.isEmpty()) {
        if (e.failures > 0 && !e.fetching) {
          // Backing off after a failure: answer now rather than park the caller for minutes.
          return CompletableFuture.failedFuture(
              new CertificateUnavailableException(
                  "no certificate for "
                      + identity
                      + ": "
                      + e.lastError
                      + "; next attempt at "
                      + e.nextAttempt));
        }
        if (!e.fetching) {
          startOrQueue(e, toStart);
        }
      }
      // A future per caller, so one caller cancelling its own cannot affect the others.
      answer = new CompletableFuture<>();
      e.waiters.add(answer);
    }
    launch(toStart);
    return answer;
  }

  @Override
  public synchronized WorkloadCertificate cached(SpiffeId identity) {
    Entry e = entries.get(identity);
    return e != null && e.hasValid(clock.instant()) ? e.current : null;
  }

  /** Drops every certificate whose identity is not in {@code keep}; their waiters fail. */
  public void retain(Set<SpiffeId> keep) {
    List<CompletableFuture<WorkloadCertificate>> orphaned = new ArrayList<>();
    synchronized (this) {
      for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
        Entry e = it.next();
        if (!keep.contains(e.id)) {
          it.remove();
          dropLocked(e, orphaned);
        }
      }
    }
    failAll(orphaned, "certificate no longer needed on this node");
  }

  /** One line per identity for the admin config dump, sorted by identity; no key material. */
  public synchronized List<CertificateInfo> describe() {
    Instant now = clock.instant();
    List<CertificateInfo> out = new ArrayList<>(entries.size());
    for (Entry e : entries.values()) {
      WorkloadCertificate c = e.current;
      CertificateInfo.State state;
      if (e.lastError != null) {
        state = CertificateInfo.State.FAILED;
      } else if (e.hasValid(now)) {
        state = CertificateInfo.State.VALID;
      } else {
        state = CertificateInfo.State.PENDING;
      }
      out.add(
          new CertificateInfo(
              e.id,
              c == null ? null : c.leaf().getSerialNumber().toString(16),
              c == null ? null : c.notBefore(),
              c == null ? null : c.notAfter(),
              state,
              e.lastError,
              e.nextAttempt));
    }
    out.sort(Comparator.comparing(i -> i.identity().uri()));
    return out;
  }

  @Override
  public void close() {
    List<CompletableFuture<WorkloadCertificate>> orphaned = new ArrayList<>();
    synchronized (this) {
      closed = true;
      for (Entry e : entries.values()) {
        dropLocked(e, orphaned);
      }
      entries.clear();
    }
    failAll(orphaned, "certificate manager is closed");
  }

  private void dropLocked(Entry e, List<CompletableFuture<WorkloadCertificate>> orphaned) {
    e.cancelTimer();
    queue.remove(e);
    orphaned.addAll(e.waiters);
    e.waiters.clear();
  }

  private static void failAll(List<CompletableFuture<WorkloadCertificate>> futures, String why) {
    for (CompletableFuture<WorkloadCertificate> f : futures) {
      f.completeExceptionally(new CertificateUnavailableException(why));
    }
  }

  /** Marks the entry fetching and either takes a slot (added to toStart) or waits in line. */
  private void startOrQueue(Entry e, List<Entry> toStart) {
    e.fetching = true;
    e.cancelTimer();
    if (active < MAX_CONCURRENT_FETCHES) {
      active++;
      toStart.add(e);
    } else {
      queue.add(e);
    }
  }

  private void launch(List<Entry> toStart) {
    for (Entry e : toStart) {
      // Key generation and the token read happen in the fetcher: keep them off the caller's thread.
      try {
        scheduler.execute(() -> fetch(e));
      } catch (RuntimeException rejected) {
        onFetchDone(e, null, rejected);
      }
    }
  }

  private void fetch(Entry e) {
    CompletableFuture<WorkloadCertificate> f;
    try {
      f = fetcher.fetch(e.id);
    } catch (RuntimeException ex) {
      onFetchDone(e, null, ex);
      return;
    }
    f.whenComplete((cert, err) -> onFetchDone(e, cert, err));
  }

  private void onFetchDone(Entry e, WorkloadCertificate cert, Throwable err) {
    Throwable cause =
        err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    if (cause == null && (cert == null || !cert.identity().equals(e.id))) {
      cause = new IllegalStateException("fetcher returned a certificate for the wrong identity");
    }
    List<Entry> toStart = new ArrayList<>();
    List<CompletableFuture<WorkloadCertificate>> waiters = List.of();
    WorkloadCertificate answer = null;
    Throwable failure = null;
    synchronized (this) {
      active--;
      e.fetching = false;
      if (!closed && entries.get(e.id) == e) {
        Instant now = clock.instant();
        waiters = List.copyOf(e.waiters);
        e.waiters.clear();
        if (cause == null) {
          e.current = cert;
          e.failures = 0;
          e.lastError = null;
          answer = cert;
          schedule(e, refreshDelay(cert, now), now);
          log.info(
              "certificate for {} obtained: serial {} valid until {}",
              e.id,
              cert.leaf().getSerialNumber().toString(16),
              cert.notAfter());
        } else {
          e.failures++;
          e.lastError = describe(cause);
          Duration delay = retry.delay(e.failures);
          schedule(e, delay, now);
          boolean keeping = e.hasValid(now);
          log.warn(
              "certificate fetch for {} failed ({} in a row), retry in {} ms{}: {}",
              e.id,
              e.failures,
              delay.toMillis(),
              keeping ? ", keeping the current certificate" : "",
              e.lastError);
          if (keeping) {
            answer = e.current;
          } else {
            failure =
                new CertificateUnavailableException(
                    "no certificate for " + e.id + ": " + e.lastError, cause);
          }
        }
      }
      while (active < MAX_CONCURRENT_FETCHES && !queue.isEmpty()) {
        active++;
        toStart.add(queue.poll());
      }
    }
    for (CompletableFuture<WorkloadCertificate> w : waiters) {
      if (answer != null) {
        w.complete(answer);
      } else {
        w.completeExceptionally(failure);
      }
    }
    launch(toStart);
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }

  private Duration refreshDelay(WorkloadCertificate cert, Instant now) {
    Duration d = Duration.between(now, cert.refreshAt());
    if (d.isNegative() || d.isZero()) {
      // A certificate already past half-life (heavily back-dated): renew halfway to expiry.
      d = Duration.between(now, cert.notAfter()).dividedBy(2);
    }
    return d.compareTo(MIN_REFRESH_DELAY) < 0 ? MIN_REFRESH_DELAY : d;
  }

  private void schedule(Entry e, Duration delay, Instant now) {
    e.cancelTimer();
    e.nextAttempt = now.plus(delay);
    try {
      e.timer = scheduler.schedule(() -> onTimer(e), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException rejected) {
      log.warn("cannot schedule certificate renewal for {}: {}", e.id, rejected.toString());
    }
  }

  private void onTimer(Entry e) {
    boolean local;
    try {
      local = isLocal.test(e.id);
    } catch (RuntimeException ex) {
      local = false;
    }
    List<Entry> toStart = new ArrayList<>();
    List<CompletableFuture<WorkloadCertificate>> orphaned = new ArrayList<>();
    synchronized (this) {
      if (closed || entries.get(e.id) != e) {
        return;
      }
      e.timer = null;
      e.nextAttempt = null;
      if (!local) {
        entries.remove(e.id);
        dropLocked(e, orphaned);
        log.info("certificate for {} dropped: no longer a workload on this node", e.id);
      } else if (!e.fetching) {
        startOrQueue(e, toStart);
      }
    }
    failAll(orphaned, "identity " + e.id + " is no longer a workload on this node");
    launch(toStart);
  }
}
