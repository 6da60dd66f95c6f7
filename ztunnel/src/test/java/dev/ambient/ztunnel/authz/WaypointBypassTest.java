package dev.ambient.ztunnel.authz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.ImplicitWaypointPolicies;
import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.testing.SocksClient;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.TestMesh;
import dev.ambient.ztunnel.testing.ZtunnelPair;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The destination ztunnel requiring the waypoint, Istio's way: the server serves a service that has
 * a waypoint, the implicit "allow from waypoint" policy admits only the waypoint's identity, and a
 * client sending HBONE straight to the pod is refused while the waypoint's identity gets through.
 * (The waypoint is a workload on node A here: to ztunnel B only its verified identity matters.)
 */
class WaypointBypassTest {
  private ZtunnelPair pair;
  private Workload waypoint;
  private MeshConfig config;

  @BeforeEach
  void start() throws Exception {
    pair = new ZtunnelPair();
    InetAddress waypointIp = TestAddresses.next();
    waypoint = TestMesh.workload("waypoint", ZtunnelPair.NODE_A, waypointIp);
    Service plain =
        TestMesh.service(
            "echo",
            TestAddresses.next(),
            80,
            pair.echo.port(),
            LoadBalancing.ROUND_ROBIN,
            pair.server);
    Service viaWaypoint =
        new Service(
            plain.name(),
            plain.namespace(),
            plain.hostname(),
            plain.vips(),
            plain.ports(),
            plain.endpoints(),
            plain.loadBalancing(),
            GatewayAddress.ofAddress(waypointIp),
            plain.subjectAltNames());
    config =
        new MeshConfig(
            List.of(pair.client, pair.server, waypoint), List.of(viaWaypoint), List.of());
  }

  @AfterEach
  void stop() throws Exception {
    if (pair != null) {
      pair.close();
    }
  }

  @Test
  void theImplicitPolicySelectsExactlyTheWorkloadsBehindTheWaypoint() {
    MeshState state = state(ImplicitWaypointPolicies.apply(config));

    AuthorizationPolicy p = state.policies().get(0);
    assertThat(p.name()).isEqualTo("istio_allow_waypoint_default_waypoint");
    assertThat(p.action()).isEqualTo(AuthorizationPolicy.Action.ALLOW);
    assertThat(state.policiesFor(state.workloadByUid(pair.server.uid()))).containsExactly(p);
    assertThat(state.policiesFor(state.workloadByUid(pair.client.uid()))).isEmpty();
    assertThat(state.policiesFor(state.workloadByUid(waypoint.uid()))).isEmpty();
    assertThat(
            ImplicitWaypointPolicies.apply(
                    new MeshConfig(List.of(pair.client), List.of(), List.of()))
                .policies())
        .as("no waypoint, no policy")
        .isEmpty();
  }

  @Test
  void theImplicitPolicyCrossesWdsAsIstioNamesIt() throws Exception {
    MeshState state = state(ImplicitWaypointPolicies.apply(config));
    var wds = dev.ambient.api.wds.WorkloadProtos.toProtos(state);
    assertThat(wds.authorizations())
        .extracting(a -> a.getNamespace() + "/" + a.getName())
        .containsExactly("default/istio_allow_waypoint_default_waypoint");

    MeshState decoded =
        state(
            dev.ambient.api.wds.WorkloadProtos.toMeshConfig(wds.addresses(), wds.authorizations()));
    assertThat(decoded.policiesFor(decoded.workloadByUid(pair.server.uid())))
        .extracting(AuthorizationPolicy::name)
        .containsExactly("istio_allow_waypoint_default_waypoint");
    assertThat(decoded.policiesFor(decoded.workloadByUid(pair.client.uid()))).isEmpty();
  }

  @Test
  void aClientBypassingTheWaypointIsRefusedAndTheWaypointIsAdmitted() throws Exception {
    MeshState state = state(ImplicitWaypointPolicies.apply(config));
    pair.a.apply(state);
    pair.b.apply(state);
    pair.b.authorizer.then = new L4Authorizer();

    try (Socket s = SocksClient.open(pair.clientIp, pair.a.socks())) {
      assertThat(SocksClient.request(s, pair.echoAddress()))
          .as("HBONE straight to the pod, not from the waypoint: refused (SOCKS 0x05)")
          .isEqualTo(5);
    }
    assertThat(pair.echo.accepted.get()).isZero();

    try (Socket s = SocksClient.open(waypoint.addresses().get(0), pair.a.socks())) {
      assertThat(SocksClient.request(s, pair.echoAddress())).isZero();
      s.getOutputStream().write("hi\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      assertThat(s.getInputStream().readNBytes(3)).isEqualTo("hi\n".getBytes());
    }
  }

  @Test
  void withoutThePolicyTheBypassIsNotBlocked() throws Exception {
    MeshState state = state(config);
    pair.a.apply(state);
    pair.b.apply(state);
    pair.b.authorizer.then = new L4Authorizer();

    try (Socket s = SocksClient.open(pair.clientIp, pair.a.socks())) {
      assertThat(SocksClient.request(s, pair.echoAddress()))
          .as("Istio's default: hairpinning was removed, only ALLOW policies stop a bypass")
          .isZero();
    }
  }

  private static MeshState state(MeshConfig c) {
    try {
      return MeshState.of(c, System.nanoTime());
    } catch (dev.ambient.api.model.InvalidMeshConfigException e) {
      throw new AssertionError(e);
    }
  }
}
