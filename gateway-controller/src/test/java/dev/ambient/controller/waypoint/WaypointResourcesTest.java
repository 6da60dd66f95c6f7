package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.controller.waypoint.xds.WaypointResources;
import dev.ambient.ztunnel.testing.TestPki;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Envoy resources built for a model (shape only; {@code WaypointEnvoyTest} runs them). */
class WaypointResourcesTest {
  @Test
  void buildsTheHboneChainAndAPerServiceRouteTableWithoutLeakingTheKey() throws Exception {
    TestPki pki = new TestPki("cluster.local");
    BackendRef echo = new BackendRef("default/echo.default.svc.cluster.local", 80);
    BackendRef v2 = new BackendRef("default/echo-v2.default.svc.cluster.local", 80);
    RouteRule split =
        new RouteRule(
            "split",
            PathMatch.prefix("/api/"),
            List.of(HeaderMatch.exact("X-User", "alice")),
            "GET",
            List.of(new WeightedBackend(echo, 70), new WeightedBackend(v2, 30)),
            new HeaderModifier(Map.of("x-set", "1"), Map.of("x-add", "2"), List.of("x-drop")));
    InetAddress vip = InetAddress.getByName("10.1.0.1");
    WaypointModel model =
        new WaypointModel(
            "default/waypoint",
            pki.identity("default", "waypoint"),
            InetAddress.getByName("10.0.0.9"),
            List.of(
                ServiceListener.http(vip, echo, List.of(split, RouteRule.toSelf(echo))),
                ServiceListener.tcp(vip, new BackendRef(echo.service(), 9000))),
            List.of(
                new Backend(echo, List.of()),
                new Backend(v2, List.of()),
                new Backend(new BackendRef(echo.service(), 9000), List.of())));

    WaypointResources r = WaypointResources.of(model, pki.issue(model.identity()));

    assertThat(r.names("Listener"))
        .containsExactly("connect_terminate", "main_internal", "connect_originate");
    assertThat(r.names("Cluster"))
        .contains(
            "main_internal",
            "connect_originate",
            "outbound|80||echo.default.svc.cluster.local",
            "outbound|80||echo-v2.default.svc.cluster.local",
            "outbound|9000||echo.default.svc.cluster.local");
    assertThat(r.names("RouteConfiguration")).containsExactly("10.1.0.1:80");
    RouteConfiguration table = r.routes().get(0);
    var first = table.getVirtualHosts(0).getRoutes(0);
    assertThat(first.getMatch().getPathSeparatedPrefix()).isEqualTo("/api");
    assertThat(first.getMatch().getHeadersList())
        .extracting(h -> h.getName())
        .containsExactly("x-user", ":method");
    assertThat(first.getRoute().getWeightedClusters().getClustersList())
        .extracting(c -> c.getWeight().getValue())
        .containsExactly(70, 30);
    assertThat(first.getRequestHeadersToRemoveList()).containsExactly("x-drop");
    assertThat(table.getVirtualHosts(0).getRoutes(1).getMatch().getPrefix()).isEqualTo("/");
    assertThat(r.toString()).doesNotContain("PRIVATE KEY").contains("wp-cert");
    assertThat(
            r.secrets().get(0).getTlsCertificate().getPrivateKey().getInlineBytes().toStringUtf8())
        .contains("PRIVATE KEY");
  }
}
