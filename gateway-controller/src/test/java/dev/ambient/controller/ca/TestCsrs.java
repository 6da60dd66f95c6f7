package dev.ambient.controller.ca;

import dev.ambient.ztunnel.identity.Pem;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Hand-made certificate requests, good and bad, for CA tests. */
final class TestCsrs {
  private static final BouncyCastleProvider BC = new BouncyCastleProvider();

  private TestCsrs() {}

  static KeyPair ec(String curve) throws Exception {
    // BouncyCastle's provider: the JDK no longer offers curves such as secp256k1.
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", BC);
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  static KeyPair rsa(int bits) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(bits);
    return g.generateKeyPair();
  }

  static GeneralName uri(String u) {
    return new GeneralName(GeneralName.uniformResourceIdentifier, u);
  }

  static GeneralName dns(String d) {
    return new GeneralName(GeneralName.dNSName, d);
  }

  static PKCS10CertificationRequest build(KeyPair key, GeneralName... sans) throws Exception {
    JcaPKCS10CertificationRequestBuilder b =
        new JcaPKCS10CertificationRequestBuilder(new X500Name("O=test"), key.getPublic());
    if (sans.length > 0) {
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
      b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    }
    String alg = key.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    return b.build(new JcaContentSignerBuilder(alg).setProvider(BC).build(key.getPrivate()));
  }

  static String pem(KeyPair key, GeneralName... sans) throws Exception {
    return Pem.encode("CERTIFICATE REQUEST", build(key, sans).getEncoded());
  }

  /** The same request with one bit of its signature flipped. */
  static String tampered(KeyPair key, GeneralName... sans) throws Exception {
    CertificationRequest req = build(key, sans).toASN1Structure();
    byte[] sig = req.getSignature().getBytes();
    sig[sig.length - 1] ^= 0x01;
    CertificationRequest bad =
        new CertificationRequest(
            req.getCertificationRequestInfo(), req.getSignatureAlgorithm(), new DERBitString(sig));
    return Pem.encode("CERTIFICATE REQUEST", bad.getEncoded());
  }
}
