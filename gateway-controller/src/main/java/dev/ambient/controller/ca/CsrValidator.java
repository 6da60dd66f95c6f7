package dev.ambient.controller.ca;

import dev.ambient.api.spiffe.InvalidSpiffeIdException;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.Pem;
import java.io.IOException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Checks a PEM PKCS#10 request before anything is signed: it parses, its self-signature verifies,
 * its key is P-256, P-384 or RSA of at least 2048 bits, and it asks for exactly one subject
 * alternative name, a URI that is a SPIFFE ID of this CA's trust domain. Everything else the
 * request asks for (subject, other extensions) is ignored: the CA decides what a leaf carries.
 */
public final class CsrValidator {
  private static final int MIN_RSA_BITS = 2048;
  private static final int MAX_CSR_CHARS = 64 * 1024;

  private final String trustDomain;

  public CsrValidator(String trustDomain) {
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
  }

  public ValidatedCsr validate(String pem) throws CsrRejectedException {
    if (pem == null || pem.isBlank()) {
      throw new CsrRejectedException("CSR: field csr is empty");
    }
    if (pem.length() > MAX_CSR_CHARS) {
      throw new CsrRejectedException("CSR: longer than " + MAX_CSR_CHARS + " characters");
    }
    PKCS10CertificationRequest csr;
    try {
      csr = Pem.parseCsr("CSR", pem);
    } catch (IllegalArgumentException e) {
      throw new CsrRejectedException(e.getMessage());
    }
    PublicKey key = checkKey(csr.getSubjectPublicKeyInfo());
    checkSignature(csr, key);
    SpiffeId id = checkSan(csr);
    return new ValidatedCsr(id, key);
  }

  private static PublicKey checkKey(SubjectPublicKeyInfo spki) throws CsrRejectedException {
    ASN1ObjectIdentifier alg = spki.getAlgorithm().getAlgorithm();
    try {
      if (alg.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
        ASN1Encodable params = spki.getAlgorithm().getParameters();
        if (!(params instanceof ASN1ObjectIdentifier curve)) {
          throw new CsrRejectedException("CSR: EC key must name its curve (P-256 or P-384)");
        }
        if (!curve.equals(SECObjectIdentifiers.secp256r1)
            && !curve.equals(SECObjectIdentifiers.secp384r1)) {
          throw new CsrRejectedException(
              "CSR: EC key on curve " + curve.getId() + " not accepted, only P-256 or P-384");
        }
      } else if (alg.equals(PKCSObjectIdentifiers.rsaEncryption)) {
        int bits = RSAPublicKey.getInstance(spki.parsePublicKey()).getModulus().bitLength();
        if (bits < MIN_RSA_BITS) {
          throw new CsrRejectedException(
              "CSR: RSA key of " + bits + " bits too small, at least " + MIN_RSA_BITS + " needed");
        }
      } else {
        throw new CsrRejectedException(
            "CSR: key algorithm " + alg.getId() + " not accepted, only EC P-256/P-384 or RSA");
      }
      return new JcaPEMKeyConverter().getPublicKey(spki);
    } catch (IOException | IllegalArgumentException e) {
      throw new CsrRejectedException("CSR: malformed public key");
    }
  }

  private static void checkSignature(PKCS10CertificationRequest csr, PublicKey key)
      throws CsrRejectedException {
    boolean ok;
    try {
      ok = csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
    } catch (Exception e) {
      // Unsupported algorithms and malformed signatures land here.
      throw new CsrRejectedException("CSR: signature cannot be verified");
    }
    if (!ok) {
      throw new CsrRejectedException("CSR: signature does not verify with the request's key");
    }
  }

  private SpiffeId checkSan(PKCS10CertificationRequest csr) throws CsrRejectedException {
    List<Extension> sans = new ArrayList<>();
    for (Attribute attr : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      for (ASN1Encodable value : attr.getAttributeValues()) {
        Extensions exts;
        try {
          exts = Extensions.getInstance(value);
        } catch (IllegalArgumentException e) {
          throw new CsrRejectedException("CSR: extensionRequest: malformed extensions");
        }
        Extension san = exts.getExtension(Extension.subjectAlternativeName);
        if (san != null) {
          sans.add(san);
        }
      }
    }
    if (sans.isEmpty()) {
      throw new CsrRejectedException(
          "CSR: no subjectAltName requested, exactly 1 URI SAN (the SPIFFE ID) required");
    }
    if (sans.size() > 1) {
      throw new CsrRejectedException(
          "CSR: " + sans.size() + " subjectAltName extensions requested, exactly 1 allowed");
    }
    GeneralName[] names;
    try {
      names = GeneralNames.getInstance(sans.get(0).getParsedValue()).getNames();
    } catch (IllegalArgumentException e) {
      throw new CsrRejectedException("CSR: subjectAltName: malformed");
    }
    List<String> uris = new ArrayList<>();
    for (GeneralName n : names) {
      if (n.getTagNo() != GeneralName.uniformResourceIdentifier) {
        throw new CsrRejectedException(
            "CSR: subjectAltName: " + typeName(n.getTagNo()) + " SAN not allowed, only 1 URI SAN");
      }
      if (!(n.getName() instanceof ASN1IA5String s)) {
        throw new CsrRejectedException("CSR: subjectAltName: URI SAN is not an IA5String");
      }
      uris.add(s.getString());
    }
    if (uris.size() != 1) {
      throw new CsrRejectedException(
          "CSR: subjectAltName: " + uris.size() + " URI SANs, exactly 1 allowed");
    }
    SpiffeId id;
    try {
      id = SpiffeId.parse(uris.get(0));
    } catch (InvalidSpiffeIdException e) {
      throw new CsrRejectedException(
          "CSR: subjectAltName: URI SAN is not a valid SPIFFE ID: " + e.getMessage());
    }
    if (!id.trustDomain().equals(trustDomain)) {
      throw new CsrRejectedException(
          "CSR: subjectAltName: trust domain "
              + id.trustDomain()
              + " is not the CA's trust domain "
              + trustDomain);
    }
    return id;
  }

  private static String typeName(int tag) {
    return switch (tag) {
      case GeneralName.otherName -> "otherName";
      case GeneralName.rfc822Name -> "email";
      case GeneralName.dNSName -> "DNS";
      case GeneralName.x400Address -> "x400Address";
      case GeneralName.directoryName -> "directoryName";
      case GeneralName.ediPartyName -> "ediPartyName";
      case GeneralName.iPAddress -> "IP";
      case GeneralName.registeredID -> "registeredID";
      default -> "type " + tag;
    };
  }
}
