package dev.ambient.ztunnel.admin;

import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.time.Instant;

/**
 * What the config dump shows of one workload certificate. Public facts only: never key material.
 *
 * @param serial the leaf's serial number (hex)
 * @param state e.g. {@code "Available"}, {@code "Pending"}, {@code "Failed"}
 * @param lastError the last fetch error, or {@code null}
 */
public record CertificateInfo(
    String identity,
    String serial,
    Instant notBefore,
    Instant notAfter,
    String state,
    String lastError) {

  /** The public facts of a held certificate (the key is not looked at). */
  public static CertificateInfo of(WorkloadCertificate cert, String state, String lastError) {
    return new CertificateInfo(
        cert.identity().uri(),
        cert.leaf().getSerialNumber().toString(16),
        cert.notBefore(),
        cert.notAfter(),
        state,
        lastError);
  }
}
