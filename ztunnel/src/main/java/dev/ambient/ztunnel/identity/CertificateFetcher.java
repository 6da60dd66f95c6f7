package dev.ambient.ztunnel.identity;

import dev.ambient.api.spiffe.SpiffeId;
import java.util.concurrent.CompletableFuture;

/**
 * Obtains one new certificate for an identity, e.g. from the CA over gRPC. The future fails with
 * {@link CaRequestException} when the CA refuses or cannot be reached. Must not block the caller.
 */
@FunctionalInterface
public interface CertificateFetcher {
  CompletableFuture<WorkloadCertificate> fetch(SpiffeId identity);
}
