package dev.ambient.controller.ca;

import dev.ambient.ztunnel.identity.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;

/** Reading and checking PEM key material from disk, with errors that name the file. */
final class KeyMaterial {
  private KeyMaterial() {}

  static List<X509Certificate> readCertificates(Path file, String what) throws CaStateException {
    try {
      return Pem.parseCertificates(what + " " + file, read(file, what));
    } catch (IllegalArgumentException e) {
      throw new CaStateException(e.getMessage(), e);
    }
  }

  static X509Certificate readCertificate(Path file, String what) throws CaStateException {
    List<X509Certificate> certs = readCertificates(file, what);
    if (certs.size() != 1) {
      throw new CaStateException(
          what + " " + file + ": holds " + certs.size() + " certificates, expected 1");
    }
    return certs.get(0);
  }

  /** Reads a private key, refusing it if group or others may access the file. */
  static PrivateKey readPrivateKey(Path file, String what) throws CaStateException {
    if (!Files.exists(file)) {
      throw new CaStateException(what + " " + file + ": file not found");
    }
    SecureFiles.requirePrivate(file, what);
    try {
      return Pem.parsePrivateKey(what + " " + file, read(file, what));
    } catch (IllegalArgumentException e) {
      throw new CaStateException(e.getMessage(), e);
    }
  }

  private static String read(Path file, String what) throws CaStateException {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new CaStateException(what + " " + file + ": file not found", e);
    } catch (IOException e) {
      throw new CaStateException(what + " " + file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Whether the private key belongs to the public key (sign and verify a probe). */
  static boolean matches(PrivateKey key, PublicKey pub) {
    try {
      String alg = X509Builder.signatureAlgorithm(key);
      byte[] probe = "ambient-ca-key-check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** A certificate that may sign others: CA basic constraint and keyCertSign if key usage set. */
  static boolean isCa(X509Certificate cert) {
    boolean[] ku = cert.getKeyUsage();
    return cert.getBasicConstraints() >= 0 && (ku == null || (ku.length > 5 && ku[5]));
  }
}
