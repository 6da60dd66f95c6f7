package dev.ambient.ztunnel.identity;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** PKIX path validation against an explicit set of roots (no system trust store, no revocation). */
public final class ChainVerifier {
  private ChainVerifier() {}

  /**
   * Checks that the chain (leaf first, intermediates after, roots optional) chains to one of the
   * roots and every certificate is valid at {@code at}.
   *
   * @throws GeneralSecurityException saying why not
   */
  public static void verify(List<X509Certificate> chain, Collection<X509Certificate> roots, Date at)
      throws GeneralSecurityException {
    if (chain.isEmpty()) {
      throw new GeneralSecurityException("empty certificate chain");
    }
    if (roots.isEmpty()) {
      throw new GeneralSecurityException("no trusted roots");
    }
    Set<TrustAnchor> anchors = new HashSet<>();
    for (X509Certificate r : roots) {
      anchors.add(new TrustAnchor(r, null));
    }
    // A peer may append its root; PKIX wants the path without the anchor.
    List<X509Certificate> path = new ArrayList<>();
    for (X509Certificate c : chain) {
      if (!roots.contains(c)) {
        path.add(c);
      }
    }
    if (path.isEmpty()) {
      throw new GeneralSecurityException("chain holds only a root certificate");
    }
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    params.setDate(at);
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
  }
}
