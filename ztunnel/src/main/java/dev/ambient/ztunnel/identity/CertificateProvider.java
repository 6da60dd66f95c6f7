package dev.ambient.ztunnel.identity;

import dev.ambient.api.spiffe.SpiffeId;
import java.util.concurrent.CompletableFuture;

/**
 * Hands out workload certificates to the data path. Implementations never block the caller: a
 * certificate not yet fetched arrives through the future.
 */
public interface CertificateProvider {

  /** A valid certificate for the identity, fetched if needed; fails if it cannot be had. */
  CompletableFuture<WorkloadCertificate> certificate(SpiffeId identity);

  /** The cached, currently valid certificate for the identity, or {@code null}. */
  WorkloadCertificate cached(SpiffeId identity);
}
