package dev.ambient.controller.ca;

import static dev.ambient.controller.ca.MeshStates.workload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.ca.v1.IstioCertificateResponse;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.CaClient;
import dev.ambient.ztunnel.identity.CaRequestException;
import dev.ambient.ztunnel.identity.ChainVerifier;
import dev.ambient.ztunnel.identity.CsrFactory;
import dev.ambient.ztunnel.identity.Pem;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaServerTest {
  @TempDir Path dir;
  CaFixture f;
  final SpiffeId local = SpiffeId.of("cluster.local", "default", "web");
  final SpiffeId remote = SpiffeId.of("cluster.local", "shop", "cart");

  @BeforeEach
  void setUp() throws Exception {
    f = new CaFixture(dir.resolve("state"), "127.0.31.1", Duration.ofHours(24));
    f.mesh.set(
        MeshStates.of(workload("default", "web", "node-a"), workload("shop", "cart", "node-b")));
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
  }

  @Test
  void issuesThroughCaClientWithBundleLast() throws Exception {
    CaClient client = f.client(f.token("node-a"), Duration.ofHours(1));
    WorkloadCertificate cert = client.fetch(local).get(30, TimeUnit.SECONDS);

    X509Certificate root = f.roots.root();
    assertThat(cert.identity()).isEqualTo(local);
    assertThat(cert.trustedRoots()).containsExactly(root);
    X509Certificate leaf = cert.leaf();
    assertThat(leaf.getSubjectAlternativeNames())
        .containsExactly(List.of(6, "spiffe://cluster.local/ns/default/sa/web"));
    assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.17");
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertThat(leaf.getExtendedKeyUsage())
        .containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(leaf.getKeyUsage()[0]).isTrue(); // digitalSignature
    assertThat(leaf.getKeyUsage()[2]).isTrue(); // keyEncipherment
    assertThat(leaf.getExtensionValue("2.5.29.35")).isNotNull(); // AKI
    assertThat(leaf.getExtensionValue("2.5.29.14")).isNotNull(); // SKI
    assertThat(leaf.getSerialNumber().bitLength()).isLessThanOrEqualTo(128);
    ChainVerifier.verify(cert.chain(), List.of(root), new Date());
    leaf.verify(root.getPublicKey());

    // The raw answer: leaf first, the bundle (all roots) as the last element.
    CsrFactory.KeyAndCsr kc = CsrFactory.create(local);
    IstioCertificateResponse raw =
        f.call(CaFixture.read(dir.resolve("state/tokens/node-a.token")), kc.csrPem(), 3600);
    assertThat(raw.getCertChainCount()).isEqualTo(2);
    assertThat(raw.getCertChain(1)).isEqualTo(Pem.certificates(f.roots.trustBundle()));
    assertThat(Pem.parseCertificates("leaf", raw.getCertChain(0)).get(0).getPublicKey())
        .isEqualTo(kc.keyPair().getPublic());
  }

  @Test
  void servingCertificateNamesHostsAndIstiodIdentity() throws Exception {
    X509Certificate serving = f.server.servingCertificate();
    assertThat(serving.getSubjectAlternativeNames())
        .contains(
            List.of(2, "localhost"),
            List.of(2, "istiod.istio-system.svc"),
            List.of(7, "127.0.31.1"),
            List.of(6, "spiffe://cluster.local/ns/istio-system/sa/istiod"));
    serving.verify(f.roots.root().getPublicKey());
  }

  @Test
  void identityOnAnotherNodeIsPermissionDenied() throws Exception {
    CaClient client = f.client(f.token("node-a"), Duration.ofHours(1));
    assertThatThrownBy(() -> client.fetch(remote).get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            CaRequestException.class,
            e -> {
              assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getMessage()).contains("node-a").contains(remote.uri());
            });
  }

  @Test
  void missingOrWrongTokenIsUnauthenticated() throws Exception {
    f.token("node-a");
    String csr = CsrFactory.create(local).csrPem();
    assertThatThrownBy(() -> f.call(null, csr, 3600))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThatThrownBy(() -> f.call("not-the-token", csr, 3600))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));

    Path wrong = dir.resolve("wrong.token");
    Files.writeString(wrong, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
    CaClient client = f.client(wrong, Duration.ofHours(1));
    assertThatThrownBy(() -> client.fetch(local).get(30, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(
            CaRequestException.class,
            e -> assertThat(e.code()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  @Test
  void badRequestsAreInvalidArgument() throws Exception {
    String token = CaFixture.read(f.token("node-a"));
    KeyPair ec = TestCsrs.ec("secp256r1");
    String web = local.uri();
    assertInvalid(
        token,
        TestCsrs.pem(ec, TestCsrs.uri("spiffe://cluster.local/ns/Default/sa/web")),
        "not a valid SPIFFE ID");
    assertInvalid(
        token,
        TestCsrs.pem(ec, TestCsrs.uri(web), TestCsrs.uri("spiffe://cluster.local/ns/a/sa/b")),
        "2 URI SANs, exactly 1 allowed");
    assertInvalid(
        token, TestCsrs.pem(ec, TestCsrs.uri(web), TestCsrs.dns("web.default")), "DNS SAN");
    assertInvalid(
        token,
        TestCsrs.pem(ec, TestCsrs.uri("spiffe://other.domain/ns/default/sa/web")),
        "trust domain other.domain is not the CA's trust domain cluster.local");
    assertInvalid(
        token, TestCsrs.pem(TestCsrs.rsa(1024), TestCsrs.uri(web)), "RSA key of 1024 bits");
    assertInvalid(token, TestCsrs.tampered(ec, TestCsrs.uri(web)), "signature");
    assertInvalid(token, TestCsrs.pem(TestCsrs.ec("secp256k1"), TestCsrs.uri(web)), "curve");
    assertInvalid(token, TestCsrs.pem(ec), "no subjectAltName");
    assertInvalid(token, "garbage", "not a PEM CERTIFICATE REQUEST");
  }

  private void assertInvalid(String token, String csr, String message) {
    assertThatThrownBy(() -> f.call(token, csr, 3600))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains(message);
            });
  }

  @Test
  void ttlIsCappedAtMaxAndShorterRequestsHonoured() throws Exception {
    CaClient longClient = f.client(f.token("node-a"), Duration.ofHours(48));
    Instant before = Instant.now();
    WorkloadCertificate capped = longClient.fetch(local).get(30, TimeUnit.SECONDS);
    Instant after = Instant.now();
    // X.509 times have whole seconds: allow the truncation below, nothing above.
    assertThat(capped.notAfter())
        .isAfter(before.plus(Duration.ofHours(24)).minusSeconds(1))
        .isBeforeOrEqualTo(after.plus(Duration.ofHours(24)));

    CaClient shortClient =
        f.client(dir.resolve("state/tokens/node-a.token"), Duration.ofSeconds(10));
    before = Instant.now();
    WorkloadCertificate shortLived = shortClient.fetch(local).get(30, TimeUnit.SECONDS);
    after = Instant.now();
    assertThat(shortLived.notAfter())
        .isAfter(before.plusSeconds(10).minusSeconds(1))
        .isBeforeOrEqualTo(after.plusSeconds(10));
    assertThat(shortLived.refreshAt()).isAfter(before.minusSeconds(1));
  }

  @Test
  void rotationServesBothRootsDuringOverlapThenOnlyTheNewOne() throws Exception {
    CaClient client = f.client(f.token("node-a"), Duration.ofHours(1));
    X509Certificate oldRoot = f.roots.root();
    X509Certificate newRoot = f.roots.rotate(Duration.ofHours(1));
    assertThat(newRoot).isNotEqualTo(oldRoot);

    WorkloadCertificate during = client.fetch(local).get(30, TimeUnit.SECONDS);
    assertThat(during.trustedRoots()).containsExactly(newRoot, oldRoot);
    during.leaf().verify(newRoot.getPublicKey());
    ChainVerifier.verify(during.chain(), List.of(newRoot), new Date());

    f.clock.advance(Duration.ofHours(1).plusSeconds(1));
    assertThat(f.roots.trustBundle()).containsExactly(newRoot);
    IssuedCertificate later =
        f.ca.sign(new ValidatedCsr(local, TestCsrs.ec("secp256r1").getPublic()), Duration.ZERO);
    assertThat(later.trustBundle()).containsExactly(newRoot);
    assertThat(later.certChainPem()).last().isEqualTo(Pem.certificate(newRoot));
  }

  @Test
  void refusesTls12Clients() throws Exception {
    String token = CaFixture.read(f.token("node-a"));
    io.grpc.ManagedChannel ch =
        io.grpc.netty.NettyChannelBuilder.forAddress(f.host, f.server.port())
            .sslContext(
                io.grpc.netty.GrpcSslContexts.configure(
                        io.netty.handler.ssl.SslContextBuilder.forClient())
                    .trustManager(f.roots.rootCertPath().toFile())
                    .protocols("TLSv1.2")
                    .build())
            .build();
    try {
      io.grpc.Metadata h = new io.grpc.Metadata();
      h.put(
          io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + token);
      var stub =
          dev.ambient.api.ca.v1.IstioCertificateServiceGrpc.newBlockingStub(ch)
              .withDeadlineAfter(20, TimeUnit.SECONDS)
              .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(h));
      String csr = CsrFactory.create(local).csrPem();
      assertThatThrownBy(
              () ->
                  stub.createCertificate(
                      dev.ambient.api.ca.v1.IstioCertificateRequest.newBuilder()
                          .setCsr(csr)
                          .build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void aClientThatKnowsOnlyTheOldRootFollowsARotation() throws Exception {
    Path oldRootFile =
        Files.writeString(dir.resolve("old-root.pem"), Pem.certificate(f.roots.root()));
    CaClient client =
        CaClient.create(
            new dev.ambient.ztunnel.identity.CaClientConfig(
                f.host,
                f.server.port(),
                oldRootFile,
                f.token("node-a"),
                "cluster.local",
                Duration.ofHours(1),
                null));
    try (client) {
      X509Certificate oldRoot = f.roots.root();
      client.fetch(local).get(30, TimeUnit.SECONDS);
      X509Certificate newRoot = f.roots.rotate(Duration.ofHours(1));

      // During the overlap the CA keeps serving with a certificate under the old root.
      f.server.renewServingCertNow();
      f.server.servingCertificate().verify(oldRoot.getPublicKey());
      assertThat(client.fetch(local).get(30, TimeUnit.SECONDS).trustedRoots())
          .containsExactly(newRoot, oldRoot);

      // Overlap over: the CA switches to the new root; the client learned it from the bundle.
      f.clock.advance(Duration.ofHours(1).plusSeconds(1));
      f.server.renewServingCertNow();
      f.server.servingCertificate().verify(newRoot.getPublicKey());
      WorkloadCertificate after = client.fetch(local).get(30, TimeUnit.SECONDS);
      assertThat(after.trustedRoots()).containsExactly(newRoot);
      after.leaf().verify(newRoot.getPublicKey());
    }
  }
}
