package dev.ambient.ztunnel.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.ca.v1.IstioCertificateResponse;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.testing.TestPki;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the CA client accepts from the CA: its TLS certificate and its answers. */
class CaClientChecksTest {
  private final TestPki pki = new TestPki("cluster.local");
  private final SpiffeId web = pki.identity("default", "web");
  private final String istiod = "spiffe://cluster.local/ns/istio-system/sa/istiod";

  private IstioCertificateResponse response(X509Certificate leaf, List<X509Certificate> roots) {
    return IstioCertificateResponse.newBuilder()
        .addCertChain(Pem.certificate(leaf))
        .addCertChain(Pem.certificates(roots))
        .build();
  }

  @Test
  void acceptsAMatchingAnswerAndReadsTheWholeBundle() throws Exception {
    CsrFactory.KeyAndCsr kc = CsrFactory.create(web);
    X509Certificate leaf = pki.issueRaw(web.uri(), kc.keyPair())[0];
    X509Certificate otherRoot = new TestPki("cluster.local").root();
    WorkloadCertificate cert =
        CaClient.accept(web, kc, response(leaf, List.of(pki.root(), otherRoot)));
    assertThat(cert.chain()).containsExactly(leaf);
    assertThat(cert.trustedRoots()).containsExactly(pki.root(), otherRoot);
    assertThat(cert.privateKey()).isEqualTo(kc.keyPair().getPrivate());
  }

  @Test
  void rejectsWrongIdentityWrongKeyForeignRootAndShortChains() {
    CsrFactory.KeyAndCsr kc = CsrFactory.create(web);
    X509Certificate otherId =
        pki.issueRaw("spiffe://cluster.local/ns/default/sa/db", kc.keyPair())[0];
    assertThatThrownBy(() -> CaClient.accept(web, kc, response(otherId, List.of(pki.root()))))
        .hasMessageContaining("leaf URI SANs");
    X509Certificate otherKey = pki.issueRaw(web.uri(), TestPki.newKeyPair())[0];
    assertThatThrownBy(() -> CaClient.accept(web, kc, response(otherKey, List.of(pki.root()))))
        .hasMessageContaining("public key");
    X509Certificate good = pki.issueRaw(web.uri(), kc.keyPair())[0];
    X509Certificate foreign = new TestPki("cluster.local").root();
    assertThatThrownBy(() -> CaClient.accept(web, kc, response(good, List.of(foreign))))
        .hasMessageContaining("does not chain");
    assertThatThrownBy(
            () ->
                CaClient.accept(
                    web,
                    kc,
                    IstioCertificateResponse.newBuilder()
                        .addCertChain(Pem.certificate(good))
                        .build()))
        .isInstanceOf(CaRequestException.class)
        .hasMessageContaining("1 element(s)");
  }

  @Test
  void caServerCertificateMustChainAndNameTheHostOrIstiod() throws Exception {
    KeyPair key = TestPki.newKeyPair();
    X509Certificate[] istiodCert = pki.issueRaw(istiod, key);
    CaServerTrustManager tm = new CaServerTrustManager(List.of(pki.root()), "10.9.9.9", istiod);
    tm.checkServerTrusted(istiodCert, "ECDHE_ECDSA");

    X509Certificate[] workloadCert = pki.issueRaw(web.uri(), key);
    assertThatThrownBy(() -> tm.checkServerTrusted(workloadCert, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("names neither 10.9.9.9");

    CaServerTrustManager otherRoot =
        new CaServerTrustManager(List.of(new TestPki("cluster.local").root()), "10.9.9.9", istiod);
    assertThatThrownBy(() -> otherRoot.checkServerTrusted(istiodCert, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("does not chain");
  }
}
