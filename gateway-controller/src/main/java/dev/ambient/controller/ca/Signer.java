package dev.ambient.controller.ca;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * The key and certificate that sign leaves, and the certificates between it and the root.
 *
 * @param intermediates certificates to send after the leaf, closest to the leaf first: empty when
 *     the signer is a root, else the signer's own certificate and any further intermediates
 */
public record Signer(
    PrivateKey key, X509Certificate certificate, List<X509Certificate> intermediates) {
  public Signer {
    intermediates = List.copyOf(intermediates);
  }

  public Instant notAfter() {
    return certificate.getNotAfter().toInstant();
  }

  @Override
  public String toString() {
    return "Signer{" + certificate.getSubjectX500Principal() + ", key not shown}";
  }
}
