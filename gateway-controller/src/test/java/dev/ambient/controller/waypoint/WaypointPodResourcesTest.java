package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.waypoint.xds.AgentSds;
import dev.ambient.controller.waypoint.xds.WaypointAuthorizer;
import dev.ambient.controller.waypoint.xds.WaypointResources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Pod mode: the controller's resources for a waypoint pod hold no secret, take both TLS secrets
 * from the agent's SDS cluster, and bind the HBONE listener on every address of the pod; and who
 * may have them.
 */
class WaypointPodResourcesTest {
  private static WaypointModel model() throws Exception {
    BackendRef echo = new BackendRef("default/echo.default.svc.cluster.local", 80);
    return new WaypointModel(
        "default/waypoint",
        SpiffeId.of("cluster.local", "default", "waypoint"),
        InetAddress.getByName("10.0.0.9"),
        List.of(
            ServiceListener.http(
                InetAddress.getByName("10.1.0.1"), echo, List.of(RouteRule.toSelf(echo)))),
        List.of(new Backend(echo, List.of())));
  }

  @Test
  void podResourcesReferToTheAgentsSdsAndBindEveryAddress() throws Exception {
    WaypointResources r = WaypointResources.forPod(model());

    assertThat(r.secrets()).isEmpty();
    Listener terminate = r.listeners().get(0);
    assertThat(terminate.getName()).isEqualTo("connect_terminate");
    assertThat(terminate.getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
    assertThat(terminate.getAddress().getSocketAddress().getPortValue()).isEqualTo(15008);
    CommonTlsContext down =
        terminate
            .getFilterChains(0)
            .getTransportSocket()
            .getTypedConfig()
            .unpack(DownstreamTlsContext.class)
            .getCommonTlsContext();
    assertFromAgent(down.getTlsCertificateSdsSecretConfigs(0), AgentSds.CERT_SECRET);
    assertFromAgent(
        down.getCombinedValidationContext().getValidationContextSdsSecretConfig(),
        AgentSds.BUNDLE_SECRET);

    Cluster originate =
        r.clusters().stream()
            .filter(c -> c.getName().equals("connect_originate"))
            .findFirst()
            .orElseThrow();
    CommonTlsContext up =
        originate
            .getTransportSocket()
            .getTypedConfig()
            .unpack(UpstreamTlsContext.class)
            .getCommonTlsContext();
    assertFromAgent(up.getTlsCertificateSdsSecretConfigs(0), AgentSds.CERT_SECRET);

    assertThat(
            WaypointResources.forPod(model(), InetAddress.getByName("127.0.0.5"))
                .listeners()
                .get(0)
                .getAddress()
                .getSocketAddress()
                .getAddress())
        .isEqualTo("127.0.0.5");
  }

  @Test
  void localModeKeepsTheWaypointAddressAndSecretsOverAds() throws Exception {
    WaypointModel m = model();
    WaypointResources r =
        WaypointResources.of(
            m, new dev.ambient.ztunnel.testing.TestPki("cluster.local").issue(m.identity()));
    assertThat(r.listeners().get(0).getAddress().getSocketAddress().getAddress())
        .isEqualTo("10.0.0.9");
    SdsSecretConfig cert =
        r.listeners()
            .get(0)
            .getFilterChains(0)
            .getTransportSocket()
            .getTypedConfig()
            .unpack(DownstreamTlsContext.class)
            .getCommonTlsContext()
            .getTlsCertificateSdsSecretConfigs(0);
    assertThat(cert.getSdsConfig().hasAds()).isTrue();
  }

  @Test
  void theAuthorizerGivesAGatewayOnlyToItsOwnServiceAccount() {
    WaypointAuthorizer a =
        new WaypointAuthorizer(
            node -> Optional.ofNullable(Map.of("shop/waypoint", "shop/waypoint").get(node)));
    assertThat(a.denial("shop/waypoint", "shop/waypoint")).isEmpty();
    assertThat(a.denial("shop/reviews", "shop/waypoint"))
        .get()
        .asString()
        .contains("not the account");
    assertThat(a.denial("other/waypoint", "shop/waypoint")).isPresent();
    assertThat(a.denial("shop/waypoint", "shop/other")).get().asString().contains("no waypoint");
    assertThat(a.denial("shop/waypoint", "waypoint")).get().asString().contains("<namespace>");
    assertThat(a.denial("shop/waypoint", "a/b/c")).isPresent();
    assertThat(a.denial("shop/waypoint", "")).isPresent();
    assertThat(a.denial(null, "shop/waypoint")).isPresent();
    WaypointAuthorizer broken =
        new WaypointAuthorizer(
            node -> {
              throw new IllegalStateException("informer not synced");
            });
    assertThat(broken.denial("shop/waypoint", "shop/waypoint"))
        .get()
        .asString()
        .contains("informer not synced");
  }

  @Test
  void thePodModePublisherPublishesWithoutEverMakingACertificate() throws Exception {
    dev.ambient.api.model.Workload wp =
        dev.ambient.ztunnel.testing.TestMesh.workload(
            "waypoint", "n", InetAddress.getByName("10.0.0.9"));
    dev.ambient.api.model.Workload a =
        dev.ambient.ztunnel.testing.TestMesh.workload("a", "n", InetAddress.getByName("10.0.0.1"));
    dev.ambient.api.model.Service base =
        dev.ambient.ztunnel.testing.TestMesh.service(
            "echo",
            InetAddress.getByName("10.1.0.1"),
            80,
            8080,
            dev.ambient.api.model.LoadBalancing.ROUND_ROBIN,
            a);
    dev.ambient.api.model.Service echo =
        new dev.ambient.api.model.Service(
            base.name(),
            base.namespace(),
            base.hostname(),
            base.vips(),
            base.ports(),
            base.endpoints(),
            base.loadBalancing(),
            dev.ambient.api.model.GatewayAddress.ofAddress(InetAddress.getByName("10.0.0.9")),
            List.of());
    var state = dev.ambient.ztunnel.testing.TestMesh.state(List.of(wp, a), List.of(echo));
    Map<String, WaypointResources> published = new java.util.HashMap<>();
    WaypointPublisher publisher =
        WaypointPublisher.forPods(
            (node, resources) -> {
              published.put(node, resources);
              return "v" + published.size();
            },
            (svc, port) -> ServiceProtocol.HTTP,
            wp.uid(),
            java.time.Clock.systemUTC());

    assertThat(publisher.apply(state)).isEqualTo("v1");
    WaypointResources r = published.get("default/waypoint");
    assertThat(r.secrets()).isEmpty();
    assertThat(r.listeners().get(0).getAddress().getSocketAddress().getAddress())
        .isEqualTo("0.0.0.0");
    assertThat(publisher.apply(state)).as("unchanged model: nothing to publish").isNull();
  }

  private static void assertFromAgent(SdsSecretConfig sds, String name) {
    assertThat(sds.getName()).isEqualTo(name);
    assertThat(sds.getSdsConfig().hasAds()).isFalse();
    assertThat(
            sds.getSdsConfig()
                .getApiConfigSource()
                .getGrpcServices(0)
                .getEnvoyGrpc()
                .getClusterName())
        .isEqualTo(AgentSds.CLUSTER);
  }
}
