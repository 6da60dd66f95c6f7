package dev.ambient.controller.ca;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Verifies client certificates against the CA's roots as they are at each handshake, so a rotated
 * root is trusted (and a retired one dropped) without restarting the server. Server certificates
 * are never checked with it: the controller only serves.
 */
final class CaRootsTrustManager implements X509TrustManager {
  private final Supplier<List<X509Certificate>> roots;
  private List<X509Certificate> cachedRoots;
  private X509TrustManager cached;

  CaRootsTrustManager(Supplier<List<X509Certificate>> roots) {
    this.roots = roots;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    current().checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("the controller does not verify servers with the CA's roots");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return roots.get().toArray(new X509Certificate[0]);
  }

  private synchronized X509TrustManager current() throws CertificateException {
    List<X509Certificate> now = roots.get();
    if (cached == null || !now.equals(cachedRoots)) {
      try {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        for (int i = 0; i < now.size(); i++) {
          store.setCertificateEntry("root-" + i, now.get(i));
        }
        TrustManagerFactory factory =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        cached = (X509TrustManager) factory.getTrustManagers()[0];
        cachedRoots = List.copyOf(now);
      } catch (GeneralSecurityException | java.io.IOException e) {
        throw new CertificateException("cannot load the CA's roots: " + e.getMessage(), e);
      }
    }
    return cached;
  }
}
