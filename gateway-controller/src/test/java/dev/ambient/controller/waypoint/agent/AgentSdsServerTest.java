package dev.ambient.controller.waypoint.agent;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.waypoint.xds.AgentSds;
import dev.ambient.ztunnel.identity.Pem;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import dev.ambient.ztunnel.testing.TestPki;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.secret.v3.SecretDiscoveryServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The agent's SDS over its unix socket, as Envoy uses it: subscribe, ACK, receive a rotation. */
class AgentSdsServerTest {
  private static final String SECRET_TYPE =
      "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

  @TempDir Path dir;
  private final TestPki pki = new TestPki("cluster.local");
  private final SpiffeId id = SpiffeId.of("cluster.local", "default", "waypoint-sa");
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private AgentSdsServer sds;
  private EventLoopGroup loop;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    logs.start();
    root().addAppender(logs);
    sds = AgentSdsServer.start(dir.resolve("sds.sock"));
    loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    channel =
        NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(sds.socket()))
            .channelType(NioDomainSocketChannel.class)
            .eventLoopGroup(loop)
            .usePlaintext()
            .build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    sds.close();
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    root().detachAppender(logs);
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  @Test
  void servesTheCertificateAndPushesARenewalToTheOpenStream() throws Exception {
    WorkloadCertificate first = pki.issue(id);
    sds.update(first);
    BlockingQueue<DiscoveryResponse> got = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> requests =
        SecretDiscoveryServiceGrpc.newStub(channel)
            .streamSecrets(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse r) {
                    got.add(r);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    DiscoveryRequest subscribe =
        DiscoveryRequest.newBuilder()
            .setNode(Node.newBuilder().setId("default/waypoint"))
            .setTypeUrl(SECRET_TYPE)
            .addResourceNames(AgentSds.CERT_SECRET)
            .build();
    requests.onNext(subscribe);
    DiscoveryResponse r1 = got.poll(30, TimeUnit.SECONDS);
    assertThat(r1).isNotNull();
    Secret s1 = r1.getResources(0).unpack(Secret.class);
    assertThat(s1.getName()).isEqualTo(AgentSds.CERT_SECRET);
    assertThat(chain(s1)).isEqualTo(Pem.certificates(first.chain()));
    assertThat(
            s1.getTlsCertificate()
                .getPrivateKey()
                .getInlineBytes()
                .toString(StandardCharsets.US_ASCII))
        .isEqualTo(Pem.privateKey(first.privateKey()));
    // ACK as Envoy does, then rotate.
    requests.onNext(
        subscribe.toBuilder()
            .setVersionInfo(r1.getVersionInfo())
            .setResponseNonce(r1.getNonce())
            .build());

    WorkloadCertificate second = pki.issue(id);
    sds.update(second);
    DiscoveryResponse r2 = got.poll(30, TimeUnit.SECONDS);
    assertThat(r2).isNotNull();
    assertThat(r2.getVersionInfo()).isNotEqualTo(r1.getVersionInfo());
    assertThat(chain(r2.getResources(0).unpack(Secret.class)))
        .isEqualTo(Pem.certificates(second.chain()));
    requests.onCompleted();

    assertThat(logs.list)
        .as("nothing logged carries key material")
        .noneMatch(e -> e.getFormattedMessage().contains("PRIVATE KEY"));
    assertThat(logs.list).anyMatch(e -> e.getFormattedMessage().contains("SDS serving"));
  }

  @Test
  void servesTheTrustBundleAsAValidationContext() throws Exception {
    sds.update(pki.issue(id));
    var secrets = AgentSdsServer.secrets(pki.issue(id));
    Secret bundle =
        secrets.stream().filter(s -> s.getName().equals(AgentSds.BUNDLE_SECRET)).findFirst().get();
    assertThat(
            bundle
                .getValidationContext()
                .getTrustedCa()
                .getInlineBytes()
                .toString(StandardCharsets.US_ASCII))
        .isEqualTo(Pem.certificate(pki.root()));
    assertThat(bundle.toString()).doesNotContain("PRIVATE KEY");
  }

  private static String chain(Secret s) {
    return s.getTlsCertificate()
        .getCertificateChain()
        .getInlineBytes()
        .toString(StandardCharsets.US_ASCII);
  }
}
