package dev.ambient.ztunnel.identity;

import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Accepts the CA's serving certificate only if it chains to a trusted root and names the host we
 * dialled (DNS or IP SAN) or carries the istiod SPIFFE ID. Done here rather than by the TLS stack's
 * hostname check because Istio's istiod may be reached by an address it does not list.
 *
 * <p>Trusted roots are those of the configured root file plus the trust bundle of the CA's latest
 * answer: that answer arrived over a connection this manager had accepted, and it is how a client
 * learns a rotated root before the CA starts serving with it.
 */
public final class CaServerTrustManager extends X509ExtendedTrustManager {
  private final String host;
  private final String istiodUri;
  private volatile List<X509Certificate> configured;
  private volatile List<X509Certificate> learned = List.of();

  public CaServerTrustManager(List<X509Certificate> roots, String host, String istiodUri) {
    this.configured = List.copyOf(roots);
    this.host = host;
    this.istiodUri = istiodUri;
  }

  /** Replaces the roots read from the configured file. */
  void setConfigured(List<X509Certificate> roots) {
    configured = List.copyOf(roots);
  }

  /** Replaces the roots learned from the CA's latest trust bundle. */
  void learn(List<X509Certificate> bundle) {
    learned = List.copyOf(bundle);
  }

  List<X509Certificate> roots() {
    Set<X509Certificate> all = new LinkedHashSet<>(configured);
    all.addAll(learned);
    return List.copyOf(all);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("CA server presented no certificate");
    }
    try {
      ChainVerifier.verify(Arrays.asList(chain), roots(), new Date());
    } catch (GeneralSecurityException e) {
      throw new CertificateException(
          "CA server certificate does not chain to the configured root: " + e.getMessage(), e);
    }
    X509Certificate leaf = chain[0];
    try {
      List<String> eku = leaf.getExtendedKeyUsage();
      if (eku != null && !eku.contains("1.3.6.1.5.5.7.3.1")) {
        throw new CertificateException("CA server certificate lacks the serverAuth key usage");
      }
    } catch (CertificateParsingException e) {
      throw new CertificateException("CA server certificate: unreadable extended key usage", e);
    }
    if (!namesHost(leaf)) {
      throw new CertificateException(
          "CA server certificate names neither " + host + " nor " + istiodUri);
    }
  }

  private boolean namesHost(X509Certificate leaf) {
    if (CertificateNames.of(leaf, CertificateNames.URI).contains(istiodUri)) {
      return true;
    }
    if (isIpLiteral(host)) {
      for (String ip : CertificateNames.of(leaf, CertificateNames.IP)) {
        if (sameIp(ip, host)) {
          return true;
        }
      }
      return false;
    }
    for (String dns : CertificateNames.of(leaf, CertificateNames.DNS)) {
      if (dns.equalsIgnoreCase(host)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isIpLiteral(String s) {
    return s.indexOf(':') >= 0 || s.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
  }

  private static boolean sameIp(String a, String b) {
    try {
      // Both are literals, so no name lookup happens here.
      return InetAddress.getByName(a).equals(InetAddress.getByName(b));
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("CA client does not accept client certificates");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return roots().toArray(new X509Certificate[0]);
  }
}
