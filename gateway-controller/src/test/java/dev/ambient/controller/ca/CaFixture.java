package dev.ambient.controller.ca;

import dev.ambient.api.ca.v1.IstioCertificateRequest;
import dev.ambient.api.ca.v1.IstioCertificateResponse;
import dev.ambient.api.ca.v1.IstioCertificateServiceGrpc;
import dev.ambient.api.model.MeshState;
import dev.ambient.ztunnel.identity.CaClient;
import dev.ambient.ztunnel.identity.CaClientConfig;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** A real CA (root store, tokens, TLS gRPC server on a 127.x address) for one test. */
final class CaFixture implements AutoCloseable {
  static final String TD = "cluster.local";

  final Path stateDir;
  final MutableClock clock = new MutableClock();
  final RootStore roots;
  final CertificateAuthority ca;
  final AtomicReference<MeshState> mesh = new AtomicReference<>(MeshState.EMPTY);
  final CaServer server;
  final String host;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  CaFixture(Path stateDir, String loopbackHost, Duration maxTtl) throws Exception {
    this.stateDir = stateDir;
    this.host = loopbackHost;
    this.roots = RootStore.open(stateDir, TD, clock);
    // Only the root store runs on the test clock: issued certificates stay valid in real time.
    this.ca = new CertificateAuthority(roots, TD, maxTtl);
    this.server =
        new CaServer(
                new InetSocketAddress(InetAddress.getByName(loopbackHost), 0),
                ca,
                new NodeAuthorizer(mesh::get),
                BootstrapTokens.open(stateDir))
            .start();
  }

  /** Issues a bootstrap token for the node and returns the token file. */
  Path token(String node) throws Exception {
    return BootstrapTokens.issue(stateDir, node, null);
  }

  CaClient client(Path tokenFile, Duration ttl) throws Exception {
    CaClient c =
        CaClient.create(
            new CaClientConfig(
                host,
                server.port(),
                roots.trustBundlePath(),
                tokenFile,
                TD,
                ttl,
                Duration.ofSeconds(20)));
    closeables.add(c);
    return c;
  }

  /** A raw stub for sending hand-made requests; {@code token} may be null (no header). */
  IstioCertificateServiceGrpc.IstioCertificateServiceBlockingStub stub(String token)
      throws Exception {
    ManagedChannel ch =
        NettyChannelBuilder.forAddress(host, server.port())
            .sslContext(
                GrpcSslContexts.configure(SslContextBuilder.forClient())
                    .trustManager(roots.trustBundlePath().toFile())
                    .protocols("TLSv1.3")
                    .build())
            .build();
    closeables.add(
        () -> {
          ch.shutdownNow();
          ch.awaitTermination(5, TimeUnit.SECONDS);
        });
    var stub =
        IstioCertificateServiceGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS);
    if (token != null) {
      Metadata h = new Metadata();
      h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
    }
    return stub;
  }

  IstioCertificateResponse call(String token, String csrPem, long ttlSeconds) throws Exception {
    return stub(token)
        .createCertificate(
            IstioCertificateRequest.newBuilder()
                .setCsr(csrPem)
                .setValidityDuration(ttlSeconds)
                .build());
  }

  static String read(Path tokenFile) throws Exception {
    return Files.readString(tokenFile).strip();
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    server.close();
  }
}
