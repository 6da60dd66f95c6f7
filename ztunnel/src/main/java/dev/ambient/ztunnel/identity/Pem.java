package dev.ambient.ztunnel.identity;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * PEM encoding and decoding for the few object types the CA protocol carries: certificates, PKCS#8
 * private keys and PKCS#10 requests. Parsing errors name what was being read, never the bytes.
 */
public final class Pem {
  private static final Base64.Encoder MIME =
      Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));

  private Pem() {}

  public static String encode(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + MIME.encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  public static String certificate(X509Certificate cert) {
    try {
      return encode("CERTIFICATE", cert.getEncoded());
    } catch (CertificateException e) {
      throw new IllegalStateException("cannot encode certificate", e);
    }
  }

  /** Concatenated PEM blocks, in order. */
  public static String certificates(List<X509Certificate> certs) {
    StringBuilder out = new StringBuilder();
    for (X509Certificate c : certs) {
      out.append(certificate(c));
    }
    return out.toString();
  }

  /** PKCS#8 "PRIVATE KEY" block. */
  public static String privateKey(PrivateKey key) {
    return encode("PRIVATE KEY", key.getEncoded());
  }

  /** Every certificate in the text, in order; fails if there is none or one is malformed. */
  public static List<X509Certificate> parseCertificates(String what, String pem) {
    List<X509Certificate> out = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      Object o;
      while ((o = parser.readObject()) != null) {
        if (!(o instanceof org.bouncycastle.cert.X509CertificateHolder holder)) {
          throw new IllegalArgumentException(
              what + ": unexpected PEM object, expected CERTIFICATE");
        }
        out.add(
            (X509Certificate)
                cf.generateCertificate(new java.io.ByteArrayInputStream(holder.getEncoded())));
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae) {
        throw iae;
      }
      throw new IllegalArgumentException(what + ": malformed PEM certificate: " + e.getMessage());
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(what + ": no PEM certificate found");
    }
    return out;
  }

  /** A PKCS#8 or traditional (SEC1 / PKCS#1) PEM private key. */
  public static PrivateKey parsePrivateKey(String what, String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (o instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      throw new IllegalArgumentException(what + ": no unencrypted PEM private key found");
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae) {
        throw iae;
      }
      // The message of a key parse failure could echo key material; keep only the type.
      throw new IllegalArgumentException(
          what + ": malformed PEM private key (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** Exactly one PKCS#10 request. */
  public static PKCS10CertificationRequest parseCsr(String what, String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o = parser.readObject();
      if (!(o instanceof PKCS10CertificationRequest csr)) {
        throw new IllegalArgumentException(what + ": not a PEM CERTIFICATE REQUEST");
      }
      if (parser.readObject() != null) {
        throw new IllegalArgumentException(what + ": more than one PEM object");
      }
      return csr;
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae) {
        throw iae;
      }
      throw new IllegalArgumentException(what + ": malformed PEM: " + e.getMessage());
    }
  }
}
