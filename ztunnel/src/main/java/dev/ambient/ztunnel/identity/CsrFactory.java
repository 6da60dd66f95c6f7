package dev.ambient.ztunnel.identity;

import dev.ambient.api.spiffe.SpiffeId;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Makes a fresh P-256 key and a PKCS#10 request for one SPIFFE identity, shaped like Istio's
 * ztunnel's: empty subject, the identity as the only (URI) subject alternative name.
 */
public final class CsrFactory {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The new key pair (kept in memory only) and the PEM request to send to the CA. */
  public record KeyAndCsr(KeyPair keyPair, String csrPem) {
    @Override
    public String toString() {
      return "KeyAndCsr{private key not shown}";
    }
  }

  private CsrFactory() {}

  public static KeyAndCsr create(SpiffeId identity) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      KeyPair keyPair = g.generateKeyPair();
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(
          Extension.subjectAlternativeName,
          true,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, identity.uri())));
      PKCS10CertificationRequest csr =
          new JcaPKCS10CertificationRequestBuilder(new X500Name(new RDN[0]), keyPair.getPublic())
              .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate()));
      return new KeyAndCsr(keyPair, Pem.encode("CERTIFICATE REQUEST", csr.getEncoded()));
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create CSR for " + identity, e);
    }
  }
}
