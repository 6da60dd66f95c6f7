package dev.ambient.controller.waypoint;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.ca.CertificateAuthority;
import dev.ambient.controller.ca.IssuedCertificate;
import dev.ambient.controller.ca.ValidatedCsr;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Local mode: the controller makes the waypoint's EC P-256 key itself, in memory, and has its own
 * CA sign it; the key then reaches Envoy only over SDS. No CSR round trip is needed because the
 * controller is both the requester and the CA.
 */
public final class CaWaypointCertificates implements WaypointCertificates {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final CertificateAuthority ca;
  private final Duration ttl;

  public CaWaypointCertificates(CertificateAuthority ca, Duration ttl) {
    this.ca = ca;
    this.ttl = ttl;
  }

  @Override
  public WorkloadCertificate issue(SpiffeId identity) {
    if (!identity.trustDomain().equals(ca.trustDomain())) {
      throw new IllegalArgumentException(
          "waypoint identity " + identity + " is not in trust domain " + ca.trustDomain());
    }
    KeyPair key = newKey();
    IssuedCertificate issued = ca.sign(new ValidatedCsr(identity, key.getPublic()), ttl);
    List<java.security.cert.X509Certificate> chain = new ArrayList<>();
    chain.add(issued.leaf());
    chain.addAll(issued.intermediates());
    return new WorkloadCertificate(identity, key.getPrivate(), chain, issued.trustBundle());
  }

  private static KeyPair newKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 key generation is unavailable", e);
    }
  }
}
