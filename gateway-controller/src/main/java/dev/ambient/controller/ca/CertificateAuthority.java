package dev.ambient.controller.ca;

import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * Signs workload leaves: SPIFFE URI SAN only (critical, the subject is empty), serverAuth +
 * clientAuth, digitalSignature | keyEncipherment, CA:false, AKI/SKI, random 128-bit serial.
 *
 * <p>Lifetime: the requested one (0 or negative = the maximum), capped by the maximum TTL and by
 * the signer's own expiry. notBefore is back-dated by a minute for clock skew, but by at most a
 * quarter of the lifetime so that a short-lived certificate's half-life (when clients renew) still
 * lies in the future.
 */
public final class CertificateAuthority {
  public static final Duration DEFAULT_MAX_TTL = Duration.ofHours(24);
  static final Duration MAX_BACKDATE = Duration.ofMinutes(1);

  private final SigningMaterial material;
  private final String trustDomain;
  private final Duration maxTtl;
  private final Clock clock;

  public CertificateAuthority(
      SigningMaterial material, String trustDomain, Duration maxTtl, Clock clock) {
    this.material = Objects.requireNonNull(material, "material");
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.maxTtl = Objects.requireNonNull(maxTtl, "maxTtl");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxTtl.getSeconds() < 1) {
      throw new IllegalArgumentException("CA max TTL must be at least 1s, got " + maxTtl);
    }
  }

  public CertificateAuthority(SigningMaterial material, String trustDomain, Duration maxTtl) {
    this(material, trustDomain, maxTtl, Clock.systemUTC());
  }

  public String trustDomain() {
    return trustDomain;
  }

  public Duration maxTtl() {
    return maxTtl;
  }

  public SigningMaterial material() {
    return material;
  }

  /** Every root currently trusted. */
  public List<X509Certificate> trustBundle() {
    return material.trustBundle();
  }

  /** Signs a workload leaf for a validated request; {@code requested} of 0 or less = max TTL. */
  public IssuedCertificate sign(ValidatedCsr csr, Duration requested) {
    GeneralNames san =
        new GeneralNames(
            new GeneralName(GeneralName.uniformResourceIdentifier, csr.identity().uri()));
    return issue(csr.publicKey(), san, requested, maxTtl);
  }

  /**
   * The CA's own TLS serving certificate: DNS and IP SANs plus the istiod SPIFFE ID, so both our
   * client and Istio's ztunnel accept it.
   */
  public IssuedCertificate issueServing(
      PublicKey key, List<String> dnsNames, List<InetAddress> ips, Duration lifetime) {
    List<GeneralName> names = new ArrayList<>();
    for (String d : dnsNames) {
      names.add(new GeneralName(GeneralName.dNSName, d));
    }
    for (InetAddress ip : ips) {
      names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(ip.getAddress())));
    }
    names.add(
        new GeneralName(
            GeneralName.uniformResourceIdentifier,
            SpiffeId.of(trustDomain, "istio-system", "istiod").uri()));
    return issue(key, new GeneralNames(names.toArray(new GeneralName[0])), lifetime, lifetime);
  }

  private IssuedCertificate issue(
      PublicKey subjectKey, GeneralNames san, Duration requested, Duration cap) {
    Signer signer = material.signer();
    List<X509Certificate> bundle = material.trustBundle();
    Instant now = clock.instant();
    Duration ttl =
        requested == null || requested.isNegative() || requested.isZero() ? cap : requested;
    if (ttl.compareTo(cap) > 0) {
      ttl = cap;
    }
    Instant notAfter = now.plus(ttl);
    if (notAfter.isAfter(signer.notAfter())) {
      notAfter = signer.notAfter();
    }
    Duration backdate = ttl.dividedBy(4);
    if (backdate.compareTo(MAX_BACKDATE) > 0) {
      backdate = MAX_BACKDATE;
    }
    Instant notBefore = now.minus(backdate);
    if (!notAfter.isAfter(now)) {
      throw new IllegalStateException("CA signer certificate has expired at " + signer.notAfter());
    }
    X509Certificate issuer = signer.certificate();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer,
            X509Builder.serial(),
            Date.from(notBefore),
            Date.from(notAfter),
            new X500Name(new RDN[0]),
            subjectKey);
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey));
      b.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyId(issuer, utils));
      // Empty subject: RFC 5280 then requires the SAN to be critical.
      b.addExtension(Extension.subjectAlternativeName, true, san);
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build certificate extensions", e);
    }
    X509Certificate leaf = X509Builder.sign(b, signer.key());
    return new IssuedCertificate(leaf, signer.intermediates(), bundle);
  }

  /** The issuer's own SKI when it has one (configured CAs may compute it differently). */
  private static AuthorityKeyIdentifier authorityKeyId(
      X509Certificate issuer, JcaX509ExtensionUtils utils) {
    byte[] ext = issuer.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (ext != null) {
      byte[] ski =
          SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets())
              .getKeyIdentifier();
      return new AuthorityKeyIdentifier(ski);
    }
    return utils.createAuthorityKeyIdentifier(issuer.getPublicKey());
  }
}
