package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.testing.TestMesh;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure mesh -> waypoint model translation. */
class WaypointTranslatorTest {
  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  private static Service service(
      String name, String vip, List<ServicePort> ports, GatewayAddress wp, Workload... eps)
      throws Exception {
    Service base = TestMesh.service(name, ip(vip), 1, 0, LoadBalancing.ROUND_ROBIN, eps);
    return new Service(
        name,
        "default",
        base.hostname(),
        base.vips(),
        ports,
        base.endpoints(),
        LoadBalancing.ROUND_ROBIN,
        wp,
        List.of());
  }

  @Test
  void servesTheServicesThatNameTheWaypointEachRoutingToItself() throws Exception {
    Workload wp = TestMesh.workload("waypoint", "n", ip("10.0.0.9"));
    Workload a = TestMesh.workload("a", "n", ip("10.0.0.1"));
    Workload plain = TestMesh.workload("plain", "n", ip("10.0.0.2"), TunnelProtocol.NONE, null);
    Service wpSvc = service("waypoint", "10.1.0.9", List.of(new ServicePort(15008, 0)), null, wp);
    Service byAddress =
        service(
            "echo",
            "10.1.0.1",
            List.of(new ServicePort(80, 8080), new ServicePort(9000, 0)),
            GatewayAddress.ofAddress(ip("10.0.0.9")),
            a,
            plain);
    Service byService =
        service(
            "other",
            "10.1.0.2",
            List.of(new ServicePort(80, 0)),
            GatewayAddress.ofHostname("default", "waypoint.default.svc.cluster.local"),
            a);
    Service notMine = service("direct", "10.1.0.3", List.of(new ServicePort(80, 0)), null, a);
    MeshState state =
        TestMesh.state(List.of(wp, a, plain), List.of(wpSvc, byAddress, byService, notMine));

    WaypointModel m =
        WaypointTranslator.translate(
            state,
            wp.uid(),
            (svc, port) -> port.port() == 9000 ? ServiceProtocol.TCP : ServiceProtocol.HTTP);

    assertThat(m.name()).isEqualTo("default/waypoint");
    assertThat(m.identity()).isEqualTo(wp.identity());
    assertThat(m.address()).isEqualTo(ip("10.0.0.9"));
    assertThat(m.listeners())
        .extracting(ServiceListener::hostPort, ServiceListener::protocol)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("10.1.0.1:80", ServiceProtocol.HTTP),
            org.assertj.core.groups.Tuple.tuple("10.1.0.1:9000", ServiceProtocol.TCP),
            org.assertj.core.groups.Tuple.tuple("10.1.0.2:80", ServiceProtocol.HTTP));
    ServiceListener echo80 = m.listeners().get(0);
    BackendRef self = new BackendRef("default/echo.default.svc.cluster.local", 80);
    assertThat(echo80.routes()).containsExactly(RouteRule.toSelf(self));
    assertThat(m.listeners().get(1).tcpBackend())
        .isEqualTo(new BackendRef("default/echo.default.svc.cluster.local", 9000));
    Backend echoBackend =
        m.backends().stream().filter(b -> b.ref().equals(self)).findFirst().orElseThrow();
    // The plain-TCP workload is not an HBONE endpoint; the target port is used.
    assertThat(echoBackend.endpoints())
        .containsExactly(new Endpoint(ip("10.0.0.1"), 8080, a.identity()));
    assertThat(self.clusterName()).isEqualTo("outbound|80||echo.default.svc.cluster.local");
    // Pure: the same input gives an equal model.
    assertThat(
            WaypointTranslator.translate(
                state,
                wp.uid(),
                (svc, port) -> port.port() == 9000 ? ServiceProtocol.TCP : ServiceProtocol.HTTP))
        .isEqualTo(m);
  }

  @Test
  void anUnknownWaypointIsAnErrorNamingIt() throws Exception {
    MeshState state = TestMesh.state(List.of(), List.of());
    assertThatThrownBy(
            () ->
                WaypointTranslator.translate(
                    state, "test//Pod/default/nope", ProtocolPolicy.ALL_HTTP))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("waypoint test//Pod/default/nope: not a workload of the mesh");
  }

  @Test
  void aWaypointServingNothingHasNoListeners() throws Exception {
    Workload wp = TestMesh.workload("waypoint", "n", ip("10.0.0.9"));
    WaypointModel m =
        WaypointTranslator.translate(
            TestMesh.state(List.of(wp), List.of()), wp.uid(), ProtocolPolicy.ALL_HTTP);
    assertThat(m.listeners()).isEmpty();
    assertThat(m.backends()).isEmpty();
  }

  @Test
  void aGatewaysWaypointServesTheServicesNamingItsServiceByHostnameOrAddress() throws Exception {
    Workload replica = TestMesh.workload("waypoint-abc", "n", ip("10.0.0.9"));
    Workload a = TestMesh.workload("a", "n", ip("10.0.0.1"));
    Service wpSvc =
        service("waypoint", "10.1.0.9", List.of(new ServicePort(15008, 0)), null, replica);
    Service byHostname =
        service(
            "echo",
            "10.1.0.1",
            List.of(new ServicePort(80, 8080)),
            GatewayAddress.ofHostname("default", "waypoint.default.svc.cluster.local"),
            a);
    Service byVip =
        service(
            "other",
            "10.1.0.2",
            List.of(new ServicePort(80, 0)),
            GatewayAddress.ofAddress(ip("10.1.0.9")),
            a);
    Service byPodAddress =
        service(
            "pod-addressed",
            "10.1.0.3",
            List.of(new ServicePort(80, 0)),
            GatewayAddress.ofAddress(ip("10.0.0.9")),
            a);
    MeshState state =
        TestMesh.state(List.of(replica, a), List.of(wpSvc, byHostname, byVip, byPodAddress));
    var identity = dev.ambient.api.spiffe.SpiffeId.of("cluster.local", "default", "waypoint");

    WaypointModel m =
        WaypointTranslator.translateGateway(
            state,
            "default/waypoint",
            identity,
            "default/waypoint.default.svc.cluster.local",
            ProtocolPolicy.ALL_HTTP,
            java.util.Map.of(),
            dev.ambient.controller.waypoint.authz.WaypointPolicies.NONE);

    // One model for every replica: named after the Gateway, its identity, its Service's address.
    assertThat(m.name()).isEqualTo("default/waypoint");
    assertThat(m.identity()).isEqualTo(identity);
    assertThat(m.address()).isEqualTo(ip("10.1.0.9"));
    assertThat(m.listeners())
        .extracting(ServiceListener::hostPort)
        .containsExactly("10.1.0.1:80", "10.1.0.2:80");
    assertThatThrownBy(
            () ->
                WaypointTranslator.translateGateway(
                    state,
                    "default/missing",
                    identity,
                    "default/missing.default.svc.cluster.local",
                    ProtocolPolicy.ALL_HTTP,
                    java.util.Map.of(),
                    dev.ambient.controller.waypoint.authz.WaypointPolicies.NONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("default/missing.default.svc.cluster.local is not in the mesh yet");
  }

  @Test
  void eachListenerEnforcesTheWaypointWidePoliciesAndItsServices() throws Exception {
    Workload wp = TestMesh.workload("waypoint", "n", ip("10.0.0.9"));
    Workload a = TestMesh.workload("a", "n", ip("10.0.0.1"));
    GatewayAddress via = GatewayAddress.ofAddress(ip("10.0.0.9"));
    Service echo =
        service(
            "echo", "10.1.0.1", List.of(new ServicePort(80, 0), new ServicePort(9000, 0)), via, a);
    Service other = service("other", "10.1.0.2", List.of(new ServicePort(80, 0)), via, a);
    MeshState state = TestMesh.state(List.of(wp, a), List.of(echo, other));
    var all = dev.ambient.controller.waypoint.authz.L7Policy.denyAll("default/all");
    var echoOnly = dev.ambient.controller.waypoint.authz.L7Policy.allowNothing("default/echo");
    var policies =
        new dev.ambient.controller.waypoint.authz.WaypointPolicies(
            List.of(all),
            java.util.Map.of(echo.resourceName(), List.of(echoOnly)),
            List.of(),
            List.of());

    WaypointModel m =
        WaypointTranslator.translate(
            state,
            wp.uid(),
            (svc, port) -> port.port() == 9000 ? ServiceProtocol.TCP : ServiceProtocol.HTTP,
            java.util.Map.of(),
            policies);

    for (ServiceListener l : m.listeners()) {
      if (l.service().service().equals(echo.resourceName())) {
        assertThat(l.policies()).as(l.hostPort()).containsExactly(all, echoOnly);
      } else {
        assertThat(l.policies()).as(l.hostPort()).containsExactly(all);
      }
    }
    assertThat(m.listeners()).hasSize(3);
    assertThat(WaypointTranslator.translate(state, wp.uid(), ProtocolPolicy.ALL_HTTP).listeners())
        .allMatch(l -> l.policies().isEmpty());
  }
}
