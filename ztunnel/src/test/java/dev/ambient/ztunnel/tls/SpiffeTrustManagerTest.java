package dev.ambient.ztunnel.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.ztunnel.identity.WorkloadCertificate;
import dev.ambient.ztunnel.testing.TestPki;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SpiffeTrustManagerTest {
  private final TestPki pki = new TestPki("cluster.local");
  private final SpiffeTrustManager tm =
      new SpiffeTrustManager(java.util.List.of(pki.root()), "cluster.local");

  @Test
  void acceptsAMeshCertificateAndReturnsItsIdentity() throws Exception {
    WorkloadCertificate c = pki.issue(pki.identity("ns1", "sa1"));
    assertThat(tm.verify(c.chain().toArray(new X509Certificate[0])))
        .isEqualTo(pki.identity("ns1", "sa1"));
    // A chain that carries the root too is fine.
    assertThat(tm.verify(new X509Certificate[] {c.leaf(), pki.root()}))
        .isEqualTo(pki.identity("ns1", "sa1"));
  }

  @Test
  void rejectsForeignExpiredSelfSignedAndWrongTrustDomain() {
    TestPki other = new TestPki("other.example");
    X509Certificate foreign = other.issue(other.identity("a", "b")).leaf();
    assertThatThrownBy(() -> tm.verify(new X509Certificate[] {foreign}))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("chain rejected");
    Instant now = Instant.now();
    X509Certificate expired =
        pki.issue(
                pki.identity("a", "b"),
                now.minus(Duration.ofDays(2)),
                now.minus(Duration.ofDays(1)))
            .leaf();
    assertThatThrownBy(() -> tm.verify(new X509Certificate[] {expired}))
        .isInstanceOf(CertificateException.class);
    X509Certificate self = TestPki.selfSigned(pki.identity("a", "b")).leaf();
    assertThatThrownBy(() -> tm.verify(new X509Certificate[] {self}))
        .isInstanceOf(CertificateException.class);
    var wrongTd = pki.issueRaw("spiffe://other.example/ns/a/sa/b", TestPki.newKeyPair());
    assertThatThrownBy(() -> tm.verify(wrongTd))
        .hasMessageContaining("not in trust domain cluster.local");
  }

  @Test
  void rejectsSansThatAreNotExactlyOneValidSpiffeId() {
    assertThatThrownBy(() -> tm.verify(pki.issueRaw(null, TestPki.newKeyPair())))
        .hasMessageContaining("exactly one URI SAN, found 0");
    assertThatThrownBy(
            () ->
                tm.verify(
                    pki.issueRaw("spiffe://cluster.local/ns/a/sa/b%00", TestPki.newKeyPair())))
        .hasMessageContaining("not a valid SPIFFE ID");
    assertThatThrownBy(() -> tm.verify(new X509Certificate[0]))
        .hasMessageContaining("no certificate");
    assertThatThrownBy(() -> tm.verify(new X509Certificate[] {pki.root()}))
        .isInstanceOf(CertificateException.class);
  }

  @Test
  void contextsAreCachedPerCertificate() throws Exception {
    TlsContexts contexts = new TlsContexts();
    WorkloadCertificate c = pki.issue(pki.identity("a", "b"));
    assertThat(contexts.server(c)).isSameAs(contexts.server(c));
    assertThat(contexts.client(c)).isSameAs(contexts.client(c));
    WorkloadCertificate renewed = pki.issue(pki.identity("a", "b"));
    assertThat(contexts.client(renewed)).isNotSameAs(contexts.client(c));
  }
}
