package dev.ambient.controller.ca;

import dev.ambient.ztunnel.identity.Pem;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * A freshly signed leaf with what a client needs to use it.
 *
 * @param intermediates between the leaf and the roots, closest first
 * @param trustBundle every root trusted at signing time
 */
public record IssuedCertificate(
    X509Certificate leaf, List<X509Certificate> intermediates, List<X509Certificate> trustBundle) {
  public IssuedCertificate {
    intermediates = List.copyOf(intermediates);
    trustBundle = List.copyOf(trustBundle);
  }

  public String serialHex() {
    return leaf.getSerialNumber().toString(16);
  }

  /**
   * Istio's cert_chain layout: leaf PEM, each intermediate PEM, then one element holding all
   * trusted roots concatenated.
   */
  public List<String> certChainPem() {
    List<String> out = new ArrayList<>();
    out.add(Pem.certificate(leaf));
    for (X509Certificate c : intermediates) {
      out.add(Pem.certificate(c));
    }
    out.add(Pem.certificates(trustBundle));
    return out;
  }

  /** Leaf then intermediates, as a TLS server presents them. */
  public List<X509Certificate> chain() {
    List<X509Certificate> out = new ArrayList<>();
    out.add(leaf);
    out.addAll(intermediates);
    return out;
  }
}
