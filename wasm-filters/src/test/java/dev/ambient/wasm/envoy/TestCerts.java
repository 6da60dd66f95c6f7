package dev.ambient.wasm.envoy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away CA for the mTLS Envoy test: a P-256 root, a server leaf for 127.0.0.1 and client
 * leaves carrying a SPIFFE URI SAN, as mesh workload certificates do.
 */
final class TestCerts {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ROOT_NAME = "O=wasm-test,CN=test root";

  private final KeyPair rootKey = newKeyPair();
  private final X509Certificate root;

  TestCerts() {
    root = sign(ROOT_NAME, rootKey.getPublic(), null, true);
  }

  X509Certificate root() {
    return root;
  }

  /** A leaf and its key; {@code san} is a SPIFFE URI, or an IP address for a server. */
  static final class Leaf {
    final PrivateKey key;
    final X509Certificate cert;

    Leaf(PrivateKey key, X509Certificate cert) {
      this.key = key;
      this.cert = cert;
    }
  }

  Leaf serverFor127001() {
    KeyPair k = newKeyPair();
    return new Leaf(
        k.getPrivate(),
        sign(
            "O=wasm-test,CN=server",
            k.getPublic(),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
            false));
  }

  Leaf client(String spiffeId) {
    KeyPair k = newKeyPair();
    return new Leaf(
        k.getPrivate(),
        sign(
            "O=wasm-test,CN=client",
            k.getPublic(),
            new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId),
            false));
  }

  /** A client SSL context presenting {@code leaf} and trusting this CA's root. */
  SSLContext clientContext(Leaf leaf) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] pw = "test".toCharArray();
    ks.setKeyEntry("client", leaf.key, pw, new X509Certificate[] {leaf.cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pw);
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("root", root);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), RANDOM);
    return ctx;
  }

  static void writePem(Path file, String type, byte[] der) throws IOException {
    String b64 =
        Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .encodeToString(der);
    Files.writeString(
        file, "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n");
  }

  private X509Certificate sign(String subject, PublicKey key, GeneralName san, boolean ca) {
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              new X500Name(ROOT_NAME),
              new BigInteger(128, RANDOM),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(Duration.ofDays(1))),
              new X500Name(subject),
              key);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (san != null) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san));
      }
      PrivateKey signer = rootKey == null ? null : rootKey.getPrivate();
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (Exception e) {
      throw new IllegalStateException("cannot sign a test certificate for " + subject, e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
