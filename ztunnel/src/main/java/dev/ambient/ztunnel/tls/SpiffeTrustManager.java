package dev.ambient.ztunnel.tls;

import dev.ambient.api.spiffe.InvalidSpiffeIdException;
import dev.ambient.api.spiffe.SpiffeId;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies a mesh peer: its chain must lead to one of our roots (PKIX, no revocation), its leaf
 * must carry exactly one URI SAN that is a valid SPIFFE ID, in our trust domain. Hostnames play no
 * part: mesh identities are SPIFFE IDs, which callers check against the expected set after the
 * handshake.
 */
public final class SpiffeTrustManager extends X509ExtendedTrustManager {
  private static final int URI_SAN = 6;

  private final Set<TrustAnchor> anchors;
  private final List<X509Certificate> roots;
  private final String trustDomain;

  public SpiffeTrustManager(List<X509Certificate> roots, String trustDomain) {
    this.roots = List.copyOf(roots);
    this.trustDomain = trustDomain;
    Set<TrustAnchor> a = new HashSet<>();
    for (X509Certificate root : roots) {
      a.add(new TrustAnchor(root, null));
    }
    this.anchors = Set.copyOf(a);
  }

  /** Checks a peer chain (leaf first) and returns the peer's identity. */
  public SpiffeId verify(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("peer sent no certificate");
    }
    X509Certificate leaf = chain[0];
    if (leaf.getBasicConstraints() != -1) {
      throw new CertificateException("peer leaf certificate is a CA certificate");
    }
    validatePath(chain);
    SpiffeId id = spiffeIdOf(leaf);
    if (!id.trustDomain().equals(trustDomain)) {
      throw new CertificateException(
          "peer identity " + id + " is not in trust domain " + trustDomain);
    }
    return id;
  }

  /** The single URI SAN of a certificate as a SPIFFE ID, or an exception saying why not. */
  public static SpiffeId spiffeIdOf(X509Certificate cert) throws CertificateException {
    Collection<List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      throw new CertificateException("peer certificate has an unparsable subjectAltName", e);
    }
    List<String> uris = new ArrayList<>();
    if (sans != null) {
      for (List<?> san : sans) {
        if (san.size() >= 2 && Integer.valueOf(URI_SAN).equals(san.get(0))) {
          uris.add(String.valueOf(san.get(1)));
        }
      }
    }
    if (uris.size() != 1) {
      throw new CertificateException(
          "peer certificate must carry exactly one URI SAN, found " + uris.size());
    }
    try {
      return SpiffeId.parse(uris.get(0));
    } catch (InvalidSpiffeIdException e) {
      throw new CertificateException("peer URI SAN is not a valid SPIFFE ID: " + e.getMessage());
    }
  }

  private void validatePath(X509Certificate[] chain) throws CertificateException {
    List<X509Certificate> path = new ArrayList<>(chain.length);
    for (X509Certificate c : chain) {
      // A peer may append the root itself; PKIX wants the path without its anchor.
      if (!roots.contains(c)) {
        path.add(c);
      }
    }
    if (path.isEmpty()) {
      throw new CertificateException("peer presented only a root certificate");
    }
    try {
      CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      CertPathValidator.getInstance("PKIX").validate(certPath, params);
    } catch (GeneralSecurityException e) {
      throw new CertificateException("peer certificate chain rejected: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return roots.toArray(new X509Certificate[0]);
  }
}
