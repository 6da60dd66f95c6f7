package dev.ambient.controller.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.ambient.api.config.MeshConfigLoader;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import dev.ambient.api.security.v1.Authorization;
import dev.ambient.api.wds.WdsResources;
import dev.ambient.api.wds.WorkloadProtos;
import dev.ambient.api.workload.v1.Address;
import dev.ambient.controller.server.ControllerServer;
import dev.ambient.controller.xds.WdsFixture.Received;
import dev.ambient.controller.xds.WdsFixture.SettableSource;
import dev.ambient.ztunnel.config.ConfigWatcher;
import dev.ambient.ztunnel.state.StateHolder;
import dev.ambient.ztunnel.xds.WdsClient;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The controller's delta ADS server and ztunnel's discovery client over real gRPC/TLS sockets on a
 * 127.x address: file-driven updates, NACK, reconnect with known versions, authentication.
 */
class WorkloadDiscoveryTest {
  private static final String ADDRESS = WorkloadProtos.ADDRESS_TYPE_URL;
  private static final String AUTHZ = WorkloadProtos.AUTHORIZATION_TYPE_URL;
  private static final String SLEEP_UID = "Kubernetes//Pod/default/sleep";
  private static final String ECHO_UID = "Kubernetes//Pod/default/echo";

  @TempDir Path dir;
  private WdsFixture fx;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final List<Logger> watched = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    fx = new WdsFixture(dir.resolve("ca"));
    logs.start();
    for (Class<?> c : List.of(DeltaAdsStream.class, ConfigWatcher.class)) {
      Logger l = (Logger) LoggerFactory.getLogger(c);
      l.addAppender(logs);
      watched.add(l);
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    fx.close();
    for (Logger l : watched) {
      l.detachAppender(logs);
    }
  }

  private static String yaml(String sleepSa, String extraWorkload, String policies) {
    return """
        workloads:
        - {name: sleep, namespace: default, serviceAccount: %s, node: node-a, addresses: [127.201.0.1]}
        - name: echo
          namespace: default
          serviceAccount: echo
          node: node-b
          addresses: [127.201.0.2]
          labels: {app: echo}
        %s
        services:
        - name: echo
          namespace: default
          vips: [127.201.10.1]
          ports: [{port: 80, targetPort: 8080}]
          endpoints: {app: echo}
        """
            .formatted(sleepSa, extraWorkload)
        + policies;
  }

  private static final String DENY_SLEEP =
      """
      authorizationPolicies:
      - metadata: {name: deny-sleep, namespace: default}
        spec:
          selector: {matchLabels: {app: echo}}
          action: DENY
          rules:
          - from: [{source: {principals: [cluster.local/ns/default/sa/sleep]}}]
      """;

  private static final String ALLOW_ALL_NS =
      """
      authorizationPolicies:
      - metadata: {name: allow-default, namespace: default}
        spec:
          action: ALLOW
          rules:
          - from: [{source: {namespaces: [default]}}]
      """;

  private static MeshState state(String yaml, long version) throws Exception {
    return MeshState.of(MeshConfigLoader.parse(yaml, "test"), version);
  }

  private static List<String> names(List<? extends Workload> ws) {
    return ws.stream().map(Workload::name).collect(Collectors.toList());
  }

  private static List<String> policyNames(MeshState s) {
    return s.policies().stream().map(p -> p.resourceName()).collect(Collectors.toList());
  }

  @Test
  void theClientFollowsTheYamlFileAndABadEditKeepsTheLastGoodSnapshot() throws Exception {
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(file, yaml("sleep", "", DENY_SLEEP));
    FileSnapshotSource source = FileSnapshotSource.start(file, Duration.ofMillis(100));
    fx.start(source, 0, false);
    StateHolder state = new StateHolder(MeshState.EMPTY);
    List<Received> received = new CopyOnWriteArrayList<>();
    WdsClient client = fx.client("node-a", state, received);

    client.synced().get(20, TimeUnit.SECONDS);
    assertThat(names(state.current().workloads())).containsExactlyInAnyOrder("sleep", "echo");
    assertThat(state.current().services()).hasSize(1);
    assertThat(policyNames(state.current())).containsExactly("default/deny-sleep");
    Workload echo = state.current().workloadByUid(ECHO_UID);
    assertThat(state.current().policiesFor(echo)).hasSize(1);
    assertThat(received).allSatisfy(r -> assertThat(r.rejection()).isNull());

    // Add a workload, change one, swap the selector policy for a namespace one.
    Files.writeString(
        file,
        yaml(
            "sleep2",
            "- {name: extra, namespace: default, node: node-b, addresses: [127.201.0.3]}",
            ALLOW_ALL_NS));
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              MeshState s = state.current();
              assertThat(names(s.workloads())).containsExactlyInAnyOrder("sleep", "echo", "extra");
              assertThat(s.workloadByUid(SLEEP_UID).serviceAccount()).isEqualTo("sleep2");
              assertThat(policyNames(s)).containsExactly("default/allow-default");
            });

    // Remove the workload and the policy.
    Files.writeString(file, yaml("sleep2", "", ""));
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              MeshState s = state.current();
              assertThat(names(s.workloads())).containsExactlyInAnyOrder("sleep", "echo");
              assertThat(s.policies()).isEmpty();
            });
    assertThat(received).allSatisfy(r -> assertThat(r.rejection()).isNull());

    // A bad edit is refused whole, named by object and field; the last good snapshot serves on.
    long version = state.current().version();
    int before = received.size();
    Files.writeString(file, yaml("sleep2", "", "").replace("[127.201.0.1]", "[not-an-ip]"));
    assertThat(source.reload()).isFalse();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                logs.list.stream()
                    .anyMatch(
                        e ->
                            e.getFormattedMessage()
                                .contains("workloads[0] (default/sleep): field addresses[0]")));
    assertThat(source.current().workloadByUid(SLEEP_UID)).isNotNull();
    Thread.sleep(300); // three poll periods: nothing may have been pushed
    assertThat(received).hasSize(before);
    assertThat(state.current().version()).isEqualTo(version);
  }

  @Test
  void anInvalidResourceIsNackedLoggedAndNotAppliedAndLaterVersionsStillApply() throws Exception {
    MeshState good = state(yaml("sleep", "", DENY_SLEEP), 1);
    SettableSource source = new SettableSource(good);
    ControllerServer server = fx.start(source, 0, false);
    StateHolder state = new StateHolder(MeshState.EMPTY);
    List<Received> received = new CopyOnWriteArrayList<>();
    fx.client("node-a", state, received).synced().get(20, TimeUnit.SECONDS);
    long applied = state.current().version();

    // A hand-made snapshot: echo's address is three bytes long.
    server.snapshots().publish(withEcho(good, 100, ByteString.copyFrom(new byte[] {127, 1, 2})));
    Received nack =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> received.stream().filter(r -> r.rejection() != null).findFirst(),
                java.util.Optional::isPresent)
            .get();
    assertThat(nack.response().getTypeUrl()).isEqualTo(ADDRESS);
    assertThat(nack.rejection())
        .contains("workload " + ECHO_UID)
        .contains("field addresses[0]")
        .contains("must be 4 or 16 bytes, got 3");
    String nonce = nack.response().getNonce();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                logs.list.stream()
                    .map(ILoggingEvent::getFormattedMessage)
                    .anyMatch(
                        m ->
                            m.contains("WDS NACK from node node-a")
                                && m.contains(ADDRESS)
                                && m.contains("nonce \"" + nonce + "\"")
                                && m.contains("field addresses[0]")));
    assertThat(state.current().version()).isEqualTo(applied);
    assertThat(state.current().workloadByUid(ECHO_UID).addresses())
        .containsExactly(InetAddress.getByName("127.201.0.2"));

    // A later good version applies (and the rejected one was not sent again).
    server.snapshots().publish(withEcho(good, 101, ip("127.201.0.9")));
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(state.current().workloadByUid(ECHO_UID).addresses())
                    .containsExactly(InetAddress.getByName("127.201.0.9")));
    assertThat(received.stream().filter(r -> r.rejection() != null)).hasSize(1);
    assertThat(received.get(received.size() - 1).rejection()).isNull();
  }

  @Test
  void aReconnectAfterAServerRestartSendsOnlyWhatChanged() throws Exception {
    MeshState first = state(yaml("sleep", "", DENY_SLEEP), 1);
    fx.start(new SettableSource(first), 0, false);
    int port = fx.server.port();
    StateHolder state = new StateHolder(MeshState.EMPTY);
    List<Received> received = new CopyOnWriteArrayList<>();
    WdsClient client = fx.client("node-a", state, received);
    client.synced().get(20, TimeUnit.SECONDS);
    assertThat(policyNames(state.current())).containsExactly("default/deny-sleep");

    fx.stopServer();
    await().atMost(Duration.ofSeconds(10)).until(() -> !client.connected());
    assertThat(names(state.current().workloads()))
        .as("the last state is kept while disconnected")
        .containsExactlyInAnyOrder("sleep", "echo");
    int before = received.size();

    // The restarted controller has one changed workload and one policy less.
    MeshState second = state(yaml("sleep2", "", ""), 1);
    fx.start(new SettableSource(second), port, false);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(state.current().workloadByUid(SLEEP_UID).serviceAccount())
                  .isEqualTo("sleep2");
              assertThat(state.current().policies()).isEmpty();
            });
    List<DeltaDiscoveryResponse> after =
        received.subList(before, received.size()).stream()
            .peek(r -> assertThat(r.rejection()).isNull())
            .map(Received::response)
            .collect(Collectors.toList());
    List<String> sentAddresses = new ArrayList<>();
    List<String> sentPolicies = new ArrayList<>();
    List<String> removedPolicies = new ArrayList<>();
    for (DeltaDiscoveryResponse r : after) {
      List<String> names =
          r.getResourcesList().stream().map(x -> x.getName()).collect(Collectors.toList());
      if (r.getTypeUrl().equals(ADDRESS)) {
        sentAddresses.addAll(names);
        assertThat(r.getRemovedResourcesList()).isEmpty();
      } else {
        sentPolicies.addAll(names);
        removedPolicies.addAll(r.getRemovedResourcesList());
      }
    }
    // sleep changed; echo changed too, because it no longer lists the removed selector policy.
    assertThat(sentAddresses).containsExactlyInAnyOrder(SLEEP_UID, ECHO_UID);
    assertThat(sentAddresses).doesNotContain("default/echo.default.svc.cluster.local");
    assertThat(sentPolicies).isEmpty();
    assertThat(removedPolicies).containsExactly("default/deny-sleep");
  }

  @Test
  void unauthenticatedCallersAreRefusedOnTheTlsAndThePlaintextPort() throws Exception {
    fx.start(new SettableSource(state(yaml("sleep", "", ""), 1)), 0, true);
    ManagedChannel tls =
        NettyChannelBuilder.forAddress(fx.ip.getHostAddress(), fx.server.port())
            .sslContext(
                GrpcSslContexts.configure(SslContextBuilder.forClient())
                    .trustManager(fx.roots.trustBundlePath().toFile())
                    .protocols("TLSv1.3")
                    .build())
            .build();
    ManagedChannel plain =
        NettyChannelBuilder.forAddress(fx.ip.getHostAddress(), fx.server.plaintextPort())
            .usePlaintext()
            .build();
    try {
      assertThat(subscribe(tls, null)).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(subscribe(tls, "not-a-token")).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(subscribe(plain, null)).isEqualTo(Status.Code.UNAUTHENTICATED);
      String token = Files.readString(fx.token("node-a")).strip();
      assertThat(subscribe(tls, token)).isEqualTo(Status.Code.OK);
    } finally {
      tls.shutdownNow();
      plain.shutdownNow();
    }

    // The real client over plaintext, with its token, syncs.
    StateHolder state = new StateHolder(MeshState.EMPTY);
    fx.client("node-b", state, new CopyOnWriteArrayList<>(), fx.server.plaintextPort(), true)
        .synced()
        .get(20, TimeUnit.SECONDS);
    assertThat(state.current().workloads()).hasSize(2);
  }

  /** Opens a stream, subscribes to addresses; OK if a response came, else the error's code. */
  private static Status.Code subscribe(ManagedChannel channel, String token) throws Exception {
    var stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
    if (token != null) {
      Metadata h = new Metadata();
      h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
    }
    CompletableFuture<Status.Code> outcome = new CompletableFuture<>();
    StreamObserver<DeltaDiscoveryRequest> requests =
        stub.deltaAggregatedResources(
            new StreamObserver<>() {
              @Override
              public void onNext(DeltaDiscoveryResponse value) {
                outcome.complete(Status.Code.OK);
              }

              @Override
              public void onError(Throwable t) {
                outcome.complete(Status.fromThrowable(t).getCode());
              }

              @Override
              public void onCompleted() {
                outcome.complete(Status.Code.UNKNOWN);
              }
            });
    requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(ADDRESS).build());
    Status.Code code = outcome.get(20, TimeUnit.SECONDS);
    requests.onCompleted();
    return code;
  }

  private static ByteString ip(String literal) throws Exception {
    return ByteString.copyFrom(InetAddress.getByName(literal).getAddress());
  }

  /** The snapshot of a state with echo's addresses replaced by one raw address. */
  private static WdsSnapshot withEcho(MeshState state, long version, ByteString address) {
    WdsResources resources = WorkloadProtos.toProtos(state);
    Map<String, Message> addresses = new LinkedHashMap<>();
    for (Address a : resources.addresses()) {
      Address out = a;
      if (a.hasWorkload() && a.getWorkload().getUid().equals(ECHO_UID)) {
        out =
            a.toBuilder()
                .setWorkload(a.getWorkload().toBuilder().clearAddresses().addAddresses(address))
                .build();
      }
      addresses.put(WorkloadProtos.resourceName(a), out);
    }
    Map<String, Message> policies = new LinkedHashMap<>();
    for (Authorization p : resources.authorizations()) {
      policies.put(WorkloadProtos.resourceName(p), p);
    }
    return WdsSnapshot.ofResources(version, Map.of(ADDRESS, addresses, AUTHZ, policies));
  }
}
