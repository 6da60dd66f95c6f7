package dev.ambient.ztunnel.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.ca.v1.IstioCertificateRequest;
import dev.ambient.api.ca.v1.IstioCertificateResponse;
import dev.ambient.api.ca.v1.IstioCertificateServiceGrpc;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.testing.TestPki;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CA client's TLS checks through the real stack: a CA whose certificate carries only the istiod
 * SPIFFE ID (as Istio's does when dialled by IP) is accepted; one that names neither the host nor
 * istiod, or chains elsewhere, is not.
 */
class CaClientTlsTest {
  @TempDir Path dir;
  private final TestPki pki = new TestPki("cluster.local");
  private final SpiffeId web = pki.identity("default", "web");

  /** A CA that answers every request with PERMISSION_DENIED: reaching it proves TLS passed. */
  private static final class DenyingCa
      extends IstioCertificateServiceGrpc.IstioCertificateServiceImplBase {
    @Override
    public void createCertificate(
        IstioCertificateRequest request, StreamObserver<IstioCertificateResponse> response) {
      response.onError(Status.PERMISSION_DENIED.withDescription("test CA").asException());
    }
  }

  private Status.Code callThrough(String servingUri, TestPki trusted) throws Exception {
    KeyPair key = TestPki.newKeyPair();
    X509Certificate[] chain = pki.issueRaw(servingUri, key);
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getByName("127.0.37.1"), 0))
            .sslContext(
                GrpcSslContexts.configure(SslContextBuilder.forServer(key.getPrivate(), chain))
                    .protocols("TLSv1.3")
                    .build())
            .addService(new DenyingCa())
            .build()
            .start();
    Path root =
        Files.writeString(
            dir.resolve("root-" + System.nanoTime() + ".pem"), Pem.certificate(trusted.root()));
    Path token = Files.writeString(dir.resolve("token"), "t0ken\n");
    try (CaClient client =
        CaClient.create(
            new CaClientConfig(
                "127.0.37.1",
                server.getPort(),
                root,
                token,
                "cluster.local",
                Duration.ofHours(1),
                null))) {
      Throwable t = client.fetch(web).handle((c, e) -> e).get(30, TimeUnit.SECONDS);
      assertThat(t).isInstanceOf(CaRequestException.class);
      return ((CaRequestException) t).code();
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void acceptsTheIstiodIdentityInPlaceOfTheHostName() throws Exception {
    assertThat(callThrough("spiffe://cluster.local/ns/istio-system/sa/istiod", pki))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void refusesACaThatNamesNeitherHostNorIstiod() throws Exception {
    assertThat(callThrough("spiffe://cluster.local/ns/default/sa/impostor", pki))
        .isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void refusesACaChainedToAnotherRoot() throws Exception {
    assertThat(
            callThrough(
                "spiffe://cluster.local/ns/istio-system/sa/istiod", new TestPki("cluster.local")))
        .isEqualTo(Status.Code.UNAVAILABLE);
  }
}
