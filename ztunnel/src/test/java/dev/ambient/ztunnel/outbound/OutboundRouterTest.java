package dev.ambient.ztunnel.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.authz.IpLiteral;
import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.testing.TestMesh;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutboundRouterTest {
  private static final InetAddress SRC = IpLiteral.parse("10.0.0.1");
  private static final InetAddress POD1 = IpLiteral.parse("10.0.1.1");
  private static final InetAddress POD2 = IpLiteral.parse("10.0.1.2");
  private static final InetAddress PLAIN = IpLiteral.parse("10.0.2.1");
  private static final InetAddress WP = IpLiteral.parse("10.0.3.1");
  private static final InetAddress VIP = IpLiteral.parse("10.96.0.10");
  private static final InetAddress WP_VIP = IpLiteral.parse("10.96.0.20");

  private final Workload source = TestMesh.workload("src", "n1", SRC);
  private final Workload pod1 = TestMesh.workload("pod1", "n2", POD1);
  private final Workload pod2 = TestMesh.workload("pod2", "n2", POD2);
  private final Workload plain = TestMesh.workload("plain", "n2", PLAIN, TunnelProtocol.NONE, null);
  private final Workload waypoint = TestMesh.workload("waypoint", "n3", WP);
  private final OutboundRouter router = new OutboundRouter(15008, w -> 0);

  private static Service service(
      InetAddress vip, GatewayAddress waypoint, List<String> sans, Workload... eps) {
    return new Service(
        "svc",
        "default",
        "svc.default.svc.cluster.local",
        List.of(vip),
        List.of(new ServicePort(80, 8080), new ServicePort(90, 0)),
        java.util.Arrays.stream(eps).map(Workload::uid).toList(),
        LoadBalancing.ROUND_ROBIN,
        waypoint,
        sans);
  }

  @Test
  void vipMapsToEndpointTargetPortOverHbone() {
    Service svc = service(VIP, null, List.of("spiffe://cluster.local/ns/default/sa/extra"), pod1);
    MeshState state = TestMesh.state(List.of(source, pod1), List.of(svc));
    Route r = router.route(state, source, new InetSocketAddress(VIP, 80));
    assertThat(r).isInstanceOf(Route.Hbone.class);
    Route.Hbone h = (Route.Hbone) r;
    assertThat(h.target()).isEqualTo(new InetSocketAddress(POD1, 8080));
    assertThat(h.hboneAddress()).isEqualTo(new InetSocketAddress(POD1, 15008));
    assertThat(h.expectedIdentities())
        .containsExactlyInAnyOrder(
            pod1.identity(), SpiffeId.parse("spiffe://cluster.local/ns/default/sa/extra"));
    Route same = router.route(state, source, new InetSocketAddress(VIP, 90));
    assertThat(((Route.Hbone) same).target()).isEqualTo(new InetSocketAddress(POD1, 90));
  }

  @Test
  void unknownPortAndEmptyServiceAreRejectedWithReason() {
    Service svc = service(VIP, null, List.of());
    MeshState state = TestMesh.state(List.of(source), List.of(svc));
    assertThat(router.route(state, source, new InetSocketAddress(VIP, 81)))
        .isEqualTo(
            new Route.Reject(
                "service default/svc.default.svc.cluster.local: field ports: no port 81"));
    assertThat(router.route(state, source, new InetSocketAddress(VIP, 80)))
        .isInstanceOf(Route.Reject.class)
        .extracting(r -> ((Route.Reject) r).reason())
        .asString()
        .contains("field endpoints");
  }

  @Test
  void podAddressGoesDirectAndNonMeshPodsAndUnknownAddressesPassThrough() {
    MeshState state = TestMesh.state(List.of(source, pod1, plain), List.of());
    assertThat(router.route(state, source, new InetSocketAddress(POD1, 8080)))
        .isInstanceOf(Route.Hbone.class);
    assertThat(router.route(state, source, new InetSocketAddress(PLAIN, 8080)))
        .isEqualTo(new Route.Passthrough(new InetSocketAddress(PLAIN, 8080), plain, null));
    InetSocketAddress outside = new InetSocketAddress(IpLiteral.parse("192.0.2.1"), 443);
    assertThat(router.route(state, source, outside))
        .isEqualTo(new Route.Passthrough(outside, null, null));
  }

  @Test
  void serviceWithWaypointAddressTunnelsToTheWaypointWithTheVipAsAuthority() {
    GatewayAddress gw = GatewayAddress.ofAddress(WP);
    Service svc = service(VIP, gw, List.of(), pod1, pod2);
    MeshState state = TestMesh.state(List.of(source, pod1, pod2, waypoint), List.of(svc));
    Route r = router.route(state, source, new InetSocketAddress(VIP, 80));
    assertThat(r).isInstanceOf(Route.ViaWaypoint.class);
    Route.ViaWaypoint w = (Route.ViaWaypoint) r;
    assertThat(w.authority()).isEqualTo(new InetSocketAddress(VIP, 80));
    assertThat(w.hboneAddress()).isEqualTo(new InetSocketAddress(WP, 15008));
    assertThat(w.expectedIdentities()).containsExactly(waypoint.identity());
    // The waypoint itself sends the traffic on to an endpoint.
    assertThat(router.route(state, waypoint, new InetSocketAddress(VIP, 80)))
        .isInstanceOf(Route.Hbone.class);
  }

  @Test
  void waypointNamedByServiceIsResolvedToItsEndpoint() {
    Service wpSvc =
        new Service(
            "waypoint",
            "default",
            "waypoint.default.svc.cluster.local",
            List.of(WP_VIP),
            List.of(new ServicePort(15008, 0)),
            List.of(waypoint.uid()),
            null,
            null,
            null);
    GatewayAddress gw = GatewayAddress.ofHostname("default", "waypoint.default.svc.cluster.local");
    Workload pod =
        new Workload(
            pod1.uid(),
            pod1.name(),
            "default",
            pod1.serviceAccount(),
            "n2",
            "cluster.local",
            List.of(POD1),
            TunnelProtocol.HBONE,
            gw,
            null,
            null,
            Map.of());
    MeshState state = TestMesh.state(List.of(source, pod, waypoint), List.of(wpSvc));
    Route r = router.route(state, source, new InetSocketAddress(POD1, 8080));
    assertThat(r).isInstanceOf(Route.ViaWaypoint.class);
    Route.ViaWaypoint w = (Route.ViaWaypoint) r;
    assertThat(w.authority()).isEqualTo(new InetSocketAddress(POD1, 8080));
    assertThat(w.hboneAddress()).isEqualTo(new InetSocketAddress(WP, 15008));
    assertThat(w.waypoint()).isEqualTo(waypoint);
    assertThat(w.destination()).isEqualTo(pod);
  }

  @Test
  void missingWaypointIsRejectedNotBypassed() {
    GatewayAddress gw = GatewayAddress.ofHostname("default", "gone.default.svc.cluster.local");
    Service svc = service(VIP, gw, List.of(), pod1);
    MeshState state = TestMesh.state(List.of(source, pod1), List.of(svc));
    assertThat(router.route(state, source, new InetSocketAddress(VIP, 80)))
        .isInstanceOf(Route.Reject.class)
        .extracting(r -> ((Route.Reject) r).reason())
        .asString()
        .contains("field waypoint");
  }

  @Test
  void leastRequestsPicksTheEndpointWithFewestConnections() {
    Service svc =
        new Service(
            "svc",
            "default",
            "svc.default.svc.cluster.local",
            List.of(VIP),
            List.of(new ServicePort(80, 0)),
            List.of(pod1.uid(), pod2.uid()),
            LoadBalancing.LEAST_REQUESTS,
            null,
            null);
    MeshState state = TestMesh.state(List.of(source, pod1, pod2), List.of(svc));
    OutboundRouter busyPod1 = new OutboundRouter(15008, w -> w.equals(pod1) ? 5 : 1);
    for (int i = 0; i < 4; i++) {
      Route.Hbone h = (Route.Hbone) busyPod1.route(state, source, new InetSocketAddress(VIP, 80));
      assertThat(h.destination()).isEqualTo(pod2);
    }
  }
}
