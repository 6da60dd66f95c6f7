package dev.ambient.ztunnel.identity;

import dev.ambient.api.spiffe.SpiffeId;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A workload's key and certificate, and the roots it trusts. The private key lives only in this
 * process's memory and is never printed: {@link #toString} leaves it out.
 *
 * @param chain leaf first, then intermediates (roots are in {@link #trustedRoots})
 * @param trustedRoots every root currently trusted (two during a root rotation)
 */
public record WorkloadCertificate(
    SpiffeId identity,
    PrivateKey privateKey,
    List<X509Certificate> chain,
    List<X509Certificate> trustedRoots) {

  public WorkloadCertificate {
    chain = List.copyOf(chain);
    trustedRoots = List.copyOf(trustedRoots);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("certificate chain is empty");
    }
    if (trustedRoots.isEmpty()) {
      throw new IllegalArgumentException("no trusted roots");
    }
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  public Instant notBefore() {
    return leaf().getNotBefore().toInstant();
  }

  public Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  /** Half-life point, when a renewal is due. */
  public Instant refreshAt() {
    long start = notBefore().toEpochMilli();
    long end = notAfter().toEpochMilli();
    return Instant.ofEpochMilli(start + (end - start) / 2);
  }

  public boolean isValidAt(Instant now) {
    return !now.isBefore(notBefore()) && now.isBefore(notAfter());
  }

  @Override
  public String toString() {
    return "WorkloadCertificate{identity="
        + identity
        + ", serial="
        + leaf().getSerialNumber().toString(16)
        + ", notAfter="
        + notAfter()
        + "}";
  }
}
