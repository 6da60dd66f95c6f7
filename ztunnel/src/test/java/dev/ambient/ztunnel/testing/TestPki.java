package dev.ambient.ztunnel.testing;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away PKI for tests: a P-256 root and SPIFFE leaf certificates signed by it, made with the
 * same shape of certificate the CA issues. Also makes the bad ones (expired, self-signed, other
 * trust domain) that the bad-input tests need.
 */
public final class TestPki {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String trustDomain;
  private final KeyPair rootKey;
  private final X509Certificate root;

  public TestPki(String trustDomain) {
    this.trustDomain = trustDomain;
    this.rootKey = newKeyPair();
    Instant now = Instant.now();
    this.root =
        sign(
            "O=" + trustDomain + ",CN=test root",
            rootKey.getPublic(),
            "O=" + trustDomain + ",CN=test root",
            rootKey.getPrivate(),
            null,
            true,
            now.minus(Duration.ofMinutes(5)),
            now.plus(Duration.ofDays(10)));
  }

  public String trustDomain() {
    return trustDomain;
  }

  public X509Certificate root() {
    return root;
  }

  /** The root's key, for tests that run a real CA signing under this PKI's root. */
  public java.security.PrivateKey rootKey() {
    return rootKey.getPrivate();
  }

  public SpiffeId identity(String namespace, String serviceAccount) {
    return SpiffeId.of(trustDomain, namespace, serviceAccount);
  }

  /** A leaf for the identity, valid for a day, signed by this PKI's root. */
  public WorkloadCertificate issue(SpiffeId id) {
    Instant now = Instant.now();
    return issue(id, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)));
  }

  public WorkloadCertificate issue(SpiffeId id, Instant notBefore, Instant notAfter) {
    KeyPair leafKey = newKeyPair();
    X509Certificate leaf =
        sign(
            "O=" + trustDomain,
            leafKey.getPublic(),
            "O=" + trustDomain + ",CN=test root", // same RDN order as the root subject
            rootKey.getPrivate(),
            id.uri(),
            false,
            notBefore,
            notAfter);
    return new WorkloadCertificate(id, leafKey.getPrivate(), List.of(leaf), List.of(root));
  }

  /** A leaf with an arbitrary URI SAN (possibly not a valid SPIFFE ID), signed by this root. */
  public X509Certificate[] issueRaw(String uriSan, KeyPair key) {
    Instant now = Instant.now();
    X509Certificate leaf =
        sign(
            "O=" + trustDomain,
            key.getPublic(),
            "O=" + trustDomain + ",CN=test root", // same RDN order as the root subject
            rootKey.getPrivate(),
            uriSan,
            false,
            now.minus(Duration.ofMinutes(5)),
            now.plus(Duration.ofDays(1)));
    return new X509Certificate[] {leaf};
  }

  /**
   * A self-signed leaf for the identity, trusting only itself: a certificate nobody in the mesh
   * issued.
   */
  public static WorkloadCertificate selfSigned(SpiffeId id) {
    KeyPair key = newKeyPair();
    Instant now = Instant.now();
    X509Certificate cert =
        sign(
            "O=" + id.trustDomain(),
            key.getPublic(),
            "O=" + id.trustDomain(),
            key.getPrivate(),
            id.uri(),
            false,
            now.minus(Duration.ofMinutes(5)),
            now.plus(Duration.ofDays(1)));
    return new WorkloadCertificate(id, key.getPrivate(), List.of(cert), List.of(cert));
  }

  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(
      String subject,
      PublicKey subjectKey,
      String issuer,
      PrivateKey issuerKey,
      String uriSan,
      boolean ca,
      Instant notBefore,
      Instant notAfter) {
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              new X500Name(issuer),
              new BigInteger(128, RANDOM),
              Date.from(notBefore),
              Date.from(notAfter),
              new X500Name(subject),
              subjectKey);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        b.addExtension(
            Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(
            Extension.keyUsage,
            true,
            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        b.addExtension(
            Extension.extendedKeyUsage,
            false,
            new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      }
      if (uriSan != null) {
        b.addExtension(
            Extension.subjectAlternativeName,
            true,
            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uriSan)));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
