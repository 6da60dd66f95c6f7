package dev.ambient.ztunnel.testing;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.CertificateProvider;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link CertificateProvider} that issues from a {@link TestPki} on first use. */
public final class TestCertificates implements CertificateProvider {
  private final TestPki pki;
  private final Map<SpiffeId, WorkloadCertificate> issued = new ConcurrentHashMap<>();

  public TestCertificates(TestPki pki) {
    this.pki = pki;
  }

  public TestPki pki() {
    return pki;
  }

  @Override
  public CompletableFuture<WorkloadCertificate> certificate(SpiffeId identity) {
    return CompletableFuture.completedFuture(issued.computeIfAbsent(identity, pki::issue));
  }

  @Override
  public WorkloadCertificate cached(SpiffeId identity) {
    return issued.get(identity);
  }
}
