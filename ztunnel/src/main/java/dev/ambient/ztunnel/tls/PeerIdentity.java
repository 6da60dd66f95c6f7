package dev.ambient.ztunnel.tls;

import dev.ambient.api.spiffe.SpiffeId;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** Reads the verified SPIFFE ID of the peer of an established TLS session. */
public final class PeerIdentity {
  private PeerIdentity() {}

  /**
   * The peer's SPIFFE ID. The trust manager already verified the chain; this re-reads the single
   * URI SAN of the leaf.
   *
   * @throws SSLPeerUnverifiedException when the peer has no usable certificate
   */
  public static SpiffeId of(SSLSession session) throws SSLPeerUnverifiedException {
    Certificate[] certs = session.getPeerCertificates();
    if (certs == null || certs.length == 0 || !(certs[0] instanceof X509Certificate leaf)) {
      throw new SSLPeerUnverifiedException("peer presented no X.509 certificate");
    }
    try {
      return SpiffeTrustManager.spiffeIdOf(leaf);
    } catch (CertificateException e) {
      throw new SSLPeerUnverifiedException(e.getMessage());
    }
  }
}
