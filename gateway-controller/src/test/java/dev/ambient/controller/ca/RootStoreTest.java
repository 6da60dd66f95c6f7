package dev.ambient.controller.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.ChainVerifier;
import dev.ambient.ztunnel.identity.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootStoreTest {
  @TempDir Path dir;

  @Test
  void createsRootWithSafePermissionsAndReloadsTheSameRoot() throws Exception {
    Path state = dir.resolve("state");
    RootStore first = RootStore.open(state, "cluster.local");
    X509Certificate root = first.root();
    assertThat(root.getSubjectX500Principal().getName()).isEqualTo("O=cluster.local");
    assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(root.getKeyUsage()[5]).isTrue(); // keyCertSign
    assertThat(root.getKeyUsage()[6]).isTrue(); // cRLSign
    assertThat(root.getExtensionValue(Extension.subjectKeyIdentifier.getId())).isNotNull();
    assertThat(root.getNotAfter().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(3649)));
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(state.resolve("root-key.pem"))))
        .isEqualTo("rw-------");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(state.resolve("root-cert.pem"))))
        .isEqualTo("rw-r--r--");

    RootStore again = RootStore.open(state, "cluster.local");
    assertThat(again.root()).isEqualTo(root);
    assertThat(again.signer().key().getEncoded()).isEqualTo(first.signer().key().getEncoded());
  }

  @Test
  void refusesAKeyFileReadableByOthers() throws Exception {
    Path state = dir.resolve("state");
    RootStore.open(state, "cluster.local");
    Files.setPosixFilePermissions(
        state.resolve("root-key.pem"), PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> RootStore.open(state, "cluster.local"))
        .isInstanceOf(CaStateException.class)
        .hasMessageContaining("root-key.pem")
        .hasMessageContaining("group or others")
        .hasMessageContaining("chmod 600");
  }

  @Test
  void refusesHalfAState() throws Exception {
    Path state = dir.resolve("state");
    RootStore.open(state, "cluster.local");
    Files.delete(state.resolve("root-cert.pem"));
    assertThatThrownBy(() -> RootStore.open(state, "cluster.local"))
        .isInstanceOf(CaStateException.class)
        .hasMessageContaining("root-key.pem but no root-cert.pem");
  }

  @Test
  void rotationIsPersistedAndOldRootExpiresFromTheBundle() throws Exception {
    Path state = dir.resolve("state");
    MutableClock clock = new MutableClock();
    RootStore store = RootStore.open(state, "cluster.local", clock);
    X509Certificate oldRoot = store.root();
    X509Certificate newRoot = store.rotate(Duration.ofHours(2));
    assertThat(store.trustBundle()).containsExactly(newRoot, oldRoot);

    // Another process (the running server) sees the same after reload.
    RootStore reloaded = RootStore.open(state, "cluster.local", clock);
    assertThat(reloaded.root()).isEqualTo(newRoot);
    assertThat(reloaded.trustBundle()).containsExactly(newRoot, oldRoot);

    CertificateAuthority ca =
        new CertificateAuthority(reloaded, "cluster.local", Duration.ofHours(1), clock);
    IssuedCertificate leaf =
        ca.sign(
            new ValidatedCsr(
                SpiffeId.of("cluster.local", "a", "b"), TestCsrs.ec("secp256r1").getPublic()),
            Duration.ZERO);
    ChainVerifier.verify(leaf.chain(), List.of(newRoot), Date.from(clock.instant()));
    assertThatThrownBy(
            () -> ChainVerifier.verify(leaf.chain(), List.of(oldRoot), Date.from(clock.instant())))
        .isInstanceOf(java.security.GeneralSecurityException.class);

    clock.advance(Duration.ofHours(2).plusSeconds(1));
    assertThat(reloaded.trustBundle()).containsExactly(newRoot);
    assertThat(store.trustBundle()).containsExactly(newRoot);
  }

  @Test
  void runningStorePicksUpARotationByAnotherProcess() throws Exception {
    Path state = dir.resolve("state");
    RootStore serving = RootStore.open(state, "cluster.local");
    X509Certificate oldRoot = serving.root();
    X509Certificate newRoot = RootStore.open(state, "cluster.local").rotate(Duration.ofHours(1));
    assertThat(serving.signer().certificate()).isEqualTo(newRoot);
    assertThat(serving.trustBundle()).containsExactly(newRoot, oldRoot);
  }

  @Test
  void fileSignerIssuesLeavesChainedThroughTheIntermediate() throws Exception {
    // An offline root and an intermediate signed by it, as an organisation would provide.
    KeyPair rootKey = TestCsrs.ec("secp256r1");
    Instant now = Instant.now();
    X509Certificate root =
        X509Builder.selfSignedRoot(
            rootKey, "cluster.local", now.minusSeconds(60), now.plus(Duration.ofDays(30)));
    KeyPair interKey = X509Builder.newP256();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            root,
            X509Builder.serial(),
            Date.from(now.minusSeconds(60)),
            Date.from(now.plus(Duration.ofDays(10))),
            new X500Name("O=cluster.local,CN=intermediate"),
            interKey.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    X509Certificate inter = X509Builder.sign(b, rootKey.getPrivate());

    Path caCert = dir.resolve("ca-cert.pem");
    Path caKey = dir.resolve("ca-key.pem");
    Path rootCert = dir.resolve("root-cert.pem");
    Files.writeString(caCert, Pem.certificate(inter));
    Files.writeString(rootCert, Pem.certificate(root));
    Files.writeString(caKey, Pem.privateKey(interKey.getPrivate()));
    Files.setPosixFilePermissions(caKey, PosixFilePermissions.fromString("rw-------"));

    FileSigner signer = FileSigner.load(caCert, caKey, null, rootCert);
    CertificateAuthority ca =
        new CertificateAuthority(signer, "cluster.local", Duration.ofDays(30));
    IssuedCertificate leaf =
        ca.sign(
            new ValidatedCsr(
                SpiffeId.of("cluster.local", "a", "b"), TestCsrs.ec("secp256r1").getPublic()),
            Duration.ZERO);
    assertThat(leaf.intermediates()).containsExactly(inter);
    assertThat(leaf.certChainPem())
        .containsExactly(
            Pem.certificate(leaf.leaf()), Pem.certificate(inter), Pem.certificate(root));
    // Never beyond the signer's own expiry, although 30 days were allowed.
    assertThat(leaf.leaf().getNotAfter()).isEqualTo(inter.getNotAfter());
    ChainVerifier.verify(leaf.chain(), List.of(root), new Date());

    Files.setPosixFilePermissions(caKey, PosixFilePermissions.fromString("rw-r-----"));
    assertThatThrownBy(() -> FileSigner.load(caCert, caKey, null, rootCert))
        .isInstanceOf(CaStateException.class)
        .hasMessageContaining("group or others");
  }
}
