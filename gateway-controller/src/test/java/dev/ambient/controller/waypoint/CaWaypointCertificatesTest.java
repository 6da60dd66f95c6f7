package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.ca.CertificateAuthority;
import dev.ambient.controller.ca.RootStore;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaWaypointCertificatesTest {
  @TempDir Path stateDir;

  @Test
  void issuesAKeyAndACertificateForTheWaypointIdentityFromTheMeshCa() throws Exception {
    CertificateAuthority ca =
        new CertificateAuthority(
            RootStore.open(stateDir, "cluster.local"), "cluster.local", Duration.ofHours(24));
    SpiffeId id = SpiffeId.of("cluster.local", "default", "waypoint");

    WorkloadCertificate c = new CaWaypointCertificates(ca, Duration.ofHours(1)).issue(id);

    assertThat(c.identity()).isEqualTo(id);
    assertThat(c.leaf().getSubjectAlternativeNames()).containsExactly(List.of(6, id.uri()));
    c.leaf().verify(ca.trustBundle().get(0).getPublicKey());
    assertThat(c.trustedRoots()).isEqualTo(ca.trustBundle());
    // The private key belongs to the certificate.
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(c.privateKey());
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    s.initVerify(c.leaf().getPublicKey());
    s.update(new byte[] {1, 2, 3});
    assertThat(s.verify(sig)).isTrue();
    assertThat(c.toString()).doesNotContain("PRIVATE");
  }

  @Test
  void refusesAnIdentityOfAnotherTrustDomain() throws Exception {
    CertificateAuthority ca =
        new CertificateAuthority(
            RootStore.open(stateDir, "cluster.local"), "cluster.local", Duration.ofHours(24));
    assertThatThrownBy(
            () ->
                new CaWaypointCertificates(ca, Duration.ofHours(1))
                    .issue(SpiffeId.of("other.local", "default", "waypoint")))
        .hasMessageContaining("not in trust domain cluster.local");
  }
}
