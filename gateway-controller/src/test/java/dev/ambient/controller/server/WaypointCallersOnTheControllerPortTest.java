package dev.ambient.controller.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.ca.v1.IstioCertificateRequest;
import dev.ambient.api.ca.v1.IstioCertificateResponse;
import dev.ambient.api.ca.v1.IstioCertificateServiceGrpc;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.api.wds.WorkloadProtos;
import dev.ambient.controller.ca.Caller;
import dev.ambient.controller.ca.CallerAuthInterceptor;
import dev.ambient.controller.ca.CallerAuthenticator;
import dev.ambient.controller.ca.CertificateAuthority;
import dev.ambient.controller.ca.RootStore;
import dev.ambient.controller.waypoint.xds.WaypointAuthorizer;
import dev.ambient.controller.waypoint.xds.WaypointDiscovery;
import dev.ambient.controller.waypoint.xds.WaypointResources;
import dev.ambient.controller.xds.SnapshotSource;
import dev.ambient.ztunnel.identity.CsrFactory;
import dev.ambient.ztunnel.testing.TestAddresses;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's one TLS port in cluster mode with waypoint pods: one ADS service routes
 * state-of-the-world streams (Envoy) to the waypoint discovery and delta streams (ztunnel) to
 * workload discovery, and the CA and both discoveries tell node callers from workload callers. The
 * authenticator is a stand-in for TokenReview (which needs the lab's API server): fixed tokens for
 * one node and two service accounts.
 */
class WaypointCallersOnTheControllerPortTest {
  private static final String TD = "cluster.local";
  private static final String LISTENER_TYPE =
      "type.googleapis.com/envoy.config.listener.v3.Listener";

  @TempDir Path state;
  private final InetAddress ip = TestAddresses.next();
  private RootStore roots;
  private WaypointDiscovery waypoints;
  private ControllerServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    roots = RootStore.open(state, TD, Clock.systemUTC());
    CertificateAuthority ca = new CertificateAuthority(roots, TD, Duration.ofHours(1));
    waypoints =
        WaypointDiscovery.forServiceAccounts(
            CallerAuthInterceptor.WORKLOAD,
            new WaypointAuthorizer(
                node ->
                    Optional.ofNullable(
                        Map.of("default/waypoint", "default/waypoint-sa", "other/wp", "other/wp-sa")
                            .get(node))));
    waypoints.publish(
        "default/waypoint",
        new WaypointResources(
            List.of(),
            List.of(),
            List.of(Listener.newBuilder().setName("connect_terminate").build()),
            List.of(),
            List.of()));
    server =
        ControllerServer.start(
            new ControllerServer.Settings(new InetSocketAddress(ip, 0), null),
            fixed(MeshState.EMPTY),
            ca,
            authenticator(),
            waypoints);
    channel =
        NettyChannelBuilder.forAddress(ip.getHostAddress(), server.port())
            .sslContext(
                GrpcSslContexts.configure(SslContextBuilder.forClient())
                    .trustManager(roots.trustBundlePath().toFile())
                    .protocols("TLSv1.3")
                    .build())
            .build();
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
    if (waypoints != null) {
      waypoints.close();
    }
  }

  @Test
  void oneAdsServiceServesEnvoySotwAndZtunnelDeltaOnOnePort() throws Exception {
    DiscoveryResponse sotw = sotw("wp-token", "default/waypoint").get(30, TimeUnit.SECONDS);
    assertThat(sotw.getTypeUrl()).isEqualTo(LISTENER_TYPE);
    assertThat(sotw.getResources(0).unpack(Listener.class).getName())
        .isEqualTo("connect_terminate");

    DeltaDiscoveryResponse delta = delta("node-token").get(30, TimeUnit.SECONDS);
    assertThat(delta.getTypeUrl()).isEqualTo(WorkloadProtos.ADDRESS_TYPE_URL);
  }

  @Test
  void waypointAdsRefusesCallersThatMayNotHaveTheGateway() {
    assertThat(failure(sotw("intruder-token", "default/waypoint")))
        .as("another account of the same namespace")
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(failure(sotw("wp-token", "other/wp")))
        .as("the right account asking for another Gateway")
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(failure(sotw("wp-token", "default/unknown")))
        .as("a Gateway the registry does not know")
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(failure(sotw("node-token", "default/waypoint")))
        .as("a node's token is not a waypoint's")
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(failure(sotw("garbage", "default/waypoint"))).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void workloadDiscoveryIsForNodesOnly() {
    assertThat(failure(delta("wp-token"))).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void aWorkloadCallerGetsExactlyItsOwnIdentityFromTheCa() throws Exception {
    SpiffeId own = SpiffeId.of(TD, "default", "waypoint-sa");
    IstioCertificateResponse issued = csr("wp-token", own);
    assertThat(issued.getCertChainList()).hasSizeGreaterThanOrEqualTo(2);

    for (SpiffeId other :
        List.of(
            SpiffeId.of(TD, "default", "productpage"),
            SpiffeId.of(TD, "istio-system", "waypoint-sa"),
            SpiffeId.of(TD, "istio-system", "istiod"))) {
      assertThatThrownBy(() -> csr("wp-token", other))
          .as(other.toString())
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(e.getStatus().getDescription())
                    .contains("default/waypoint-sa", own.uri(), other.uri());
              });
    }
  }

  @Test
  void aWaypointsCertificateAuthenticatesItsAdsStreamButNothingElse() throws Exception {
    // What the agent does: a key of its own, the certificate by CSR with its token once; Envoy's
    // ADS then presents the certificate, so an expired token never strands its configuration.
    SpiffeId own = SpiffeId.of(TD, "default", "waypoint-sa");
    CsrFactory.KeyAndCsr key = CsrFactory.create(own);
    IstioCertificateResponse issued =
        IstioCertificateServiceGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer("wp-token")))
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .createCertificate(
                IstioCertificateRequest.newBuilder()
                    .setCsr(key.csrPem())
                    .setValidityDuration(600)
                    .build());
    java.security.cert.CertificateFactory x509 =
        java.security.cert.CertificateFactory.getInstance("X.509");
    java.security.cert.X509Certificate[] chain =
        issued.getCertChainList().stream()
            .map(
                pem -> {
                  try {
                    return (java.security.cert.X509Certificate)
                        x509.generateCertificate(
                            new java.io.ByteArrayInputStream(
                                pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                  } catch (java.security.cert.CertificateException e) {
                    throw new AssertionError(e);
                  }
                })
            .toArray(java.security.cert.X509Certificate[]::new);
    ManagedChannel previous = channel;
    channel =
        NettyChannelBuilder.forAddress(ip.getHostAddress(), server.port())
            .sslContext(
                GrpcSslContexts.configure(SslContextBuilder.forClient())
                    .keyManager(key.keyPair().getPrivate(), chain)
                    .trustManager(roots.trustBundlePath().toFile())
                    .protocols("TLSv1.3")
                    .build())
            .build();
    previous.shutdownNow();

    DiscoveryResponse sotw = sotw(null, "default/waypoint").get(30, TimeUnit.SECONDS);
    assertThat(sotw.getResources(0).unpack(Listener.class).getName())
        .isEqualTo("connect_terminate");
    assertThat(failure(sotw(null, "other/wp")))
        .as("its certificate names its own account only")
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(failure(delta(null))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThatThrownBy(() -> csr(null, own))
        .as("the CA wants the token: a certificate does not renew itself")
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  private IstioCertificateResponse csr(String token, SpiffeId identity) {
    return IstioCertificateServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .createCertificate(
            IstioCertificateRequest.newBuilder()
                .setCsr(CsrFactory.create(identity).csrPem())
                .setValidityDuration(600)
                .build());
  }

  private CompletableFuture<DiscoveryResponse> sotw(String token, String node) {
    CompletableFuture<DiscoveryResponse> first = new CompletableFuture<>();
    StreamObserver<DiscoveryRequest> requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)))
            .streamAggregatedResources(observer(first));
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(Node.newBuilder().setId(node))
            .setTypeUrl(LISTENER_TYPE)
            .build());
    return first.whenComplete((r, e) -> requests.onCompleted());
  }

  private CompletableFuture<DeltaDiscoveryResponse> delta(String token) {
    CompletableFuture<DeltaDiscoveryResponse> first = new CompletableFuture<>();
    StreamObserver<DeltaDiscoveryRequest> requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)))
            .deltaAggregatedResources(observer(first));
    requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setNode(Node.newBuilder().setId("node-a"))
            .setTypeUrl(WorkloadProtos.ADDRESS_TYPE_URL)
            .build());
    return first.whenComplete((r, e) -> requests.onCompleted());
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> first) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        first.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        first.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        first.completeExceptionally(new AssertionError("stream ended without a response"));
      }
    };
  }

  private static Status.Code failure(CompletableFuture<?> call) {
    try {
      Object r = call.get(30, TimeUnit.SECONDS);
      throw new AssertionError("expected a refusal, got " + r);
    } catch (java.util.concurrent.ExecutionException e) {
      return Status.fromThrowable(e.getCause()).getCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The token as a bearer header; no header for {@code null}. */
  private static Metadata bearer(String token) {
    Metadata md = new Metadata();
    if (token == null) {
      return md;
    }
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return md;
  }

  /** Stands in for TokenReview: one ztunnel node token and two service-account tokens. */
  private static CallerAuthenticator authenticator() {
    Map<String, Caller> callers =
        Map.of(
            "node-token", Caller.node("node-a"),
            "wp-token", Caller.serviceAccount("default/waypoint-sa"),
            "intruder-token", Caller.serviceAccount("default/intruder"));
    Metadata.Key<String> auth = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    return new CallerAuthenticator() {
      @Override
      public Optional<String> nodeFor(Metadata headers) {
        return callerFor(headers).filter(Caller::isNode).map(Caller::node);
      }

      @Override
      public Optional<Caller> callerFor(Metadata headers) {
        String h = headers.get(auth);
        return h == null || !h.startsWith("Bearer ")
            ? Optional.empty()
            : Optional.ofNullable(callers.get(h.substring(7)));
      }
    };
  }

  private static SnapshotSource fixed(MeshState state) {
    return new SnapshotSource() {
      @Override
      public MeshState current() {
        return state;
      }

      @Override
      public void onChange(Consumer<MeshState> listener) {}

      @Override
      public void close() {}
    };
  }
}
