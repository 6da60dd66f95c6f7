package dev.ambient.controller.ca;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Key generation and the certificate plumbing shared by root creation and leaf signing. */
final class X509Builder {
  private static final SecureRandom RANDOM = new SecureRandom();

  private X509Builder() {}

  static KeyPair newP256() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 unavailable", e);
    }
  }

  /** A positive, non-zero 128-bit random serial (RFC 5280 allows up to 20 octets). */
  static BigInteger serial() {
    byte[] b = new byte[16];
    BigInteger s;
    do {
      RANDOM.nextBytes(b);
      s = new BigInteger(1, b);
    } while (s.signum() == 0);
    return s;
  }

  static String signatureAlgorithm(PrivateKey key) {
    if (key instanceof ECKey ec) {
      int bits = ec.getParams().getCurve().getField().getFieldSize();
      return bits > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
    }
    if ("RSA".equals(key.getAlgorithm())) {
      return "SHA256withRSA";
    }
    throw new IllegalArgumentException("unsupported signer key algorithm " + key.getAlgorithm());
  }

  static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(new JcaContentSignerBuilder(signatureAlgorithm(key)).build(key)));
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("certificate signing failed: " + e.getMessage(), e);
    }
  }

  /** A self-signed CA certificate: basicConstraints CA, keyCertSign|cRLSign, SKI. */
  static X509Certificate selfSignedRoot(
      KeyPair key, String trustDomain, Instant notBefore, Instant notAfter) {
    X500Name name = new X500Name("O=" + trustDomain);
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name, serial(), Date.from(notBefore), Date.from(notAfter), name, key.getPublic());
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(key.getPublic()));
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return sign(b, key.getPrivate());
  }

  static boolean sameKey(PublicKey a, PublicKey b) {
    return java.util.Arrays.equals(a.getEncoded(), b.getEncoded());
  }
}
