package dev.ambient.controller.ca;

import dev.ambient.ztunnel.identity.ChainVerifier;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * A signer configured from files (typically an intermediate under an organisation's offline root):
 * {@code --ca-cert}, {@code --ca-key}, optional {@code --ca-chain} (further intermediates, closest
 * to the signer first) and {@code --root-cert} (the root bundle). Checked at load: the key belongs
 * to the certificate, which is a CA and chains to the roots.
 */
public final class FileSigner implements SigningMaterial {
  private final Signer signer;
  private final List<X509Certificate> roots;
  private final Path caCert;

  private FileSigner(Signer signer, List<X509Certificate> roots, Path caCert) {
    this.signer = signer;
    this.roots = List.copyOf(roots);
    this.caCert = caCert;
  }

  /**
   * @param caChain may be {@code null}
   */
  public static FileSigner load(Path caCert, Path caKey, Path caChain, Path rootCert)
      throws CaStateException {
    X509Certificate cert = KeyMaterial.readCertificate(caCert, "CA certificate (--ca-cert)");
    PrivateKey key = KeyMaterial.readPrivateKey(caKey, "CA key (--ca-key)");
    List<X509Certificate> chain =
        caChain == null
            ? List.of()
            : KeyMaterial.readCertificates(caChain, "CA chain (--ca-chain)");
    List<X509Certificate> roots = KeyMaterial.readCertificates(rootCert, "CA root (--root-cert)");
    if (!KeyMaterial.matches(key, cert.getPublicKey())) {
      throw new CaStateException("CA key " + caKey + " does not belong to certificate " + caCert);
    }
    if (!KeyMaterial.isCa(cert)) {
      throw new CaStateException(
          "CA certificate " + caCert + " is not a CA (basicConstraints CA and keyCertSign needed)");
    }
    List<X509Certificate> intermediates = new ArrayList<>();
    if (!roots.contains(cert)) {
      intermediates.add(cert);
    }
    for (X509Certificate c : chain) {
      if (!roots.contains(c)) {
        intermediates.add(c);
      }
    }
    if (!intermediates.isEmpty()) {
      try {
        ChainVerifier.verify(intermediates, roots, new Date());
      } catch (GeneralSecurityException e) {
        throw new CaStateException(
            "CA certificate "
                + caCert
                + " does not chain to --root-cert "
                + rootCert
                + ": "
                + e.getMessage(),
            e);
      }
    }
    return new FileSigner(new Signer(key, cert, intermediates), roots, caCert);
  }

  @Override
  public Signer signer() {
    return signer;
  }

  @Override
  public List<X509Certificate> trustBundle() {
    return roots;
  }

  @Override
  public String describe() {
    return "CA signer from " + caCert;
  }
}
