package dev.ambient.controller.waypoint.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.waypoint.xds.AgentSds;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * What the agent tells Envoy before ADS: identity of the node, where ADS and SDS are, and nothing
 * secret: Envoy authenticates its ADS stream with the certificate the agent serves over SDS.
 */
class AgentBootstrapTest {
  private static final SpiffeId CONTROLLER = SpiffeId.of("cluster.local", "istio-system", "istiod");

  private Bootstrap build(String host) {
    return AgentBootstrap.build(
        "shop/waypoint",
        host,
        15012,
        CONTROLLER,
        Path.of("/var/run/ambient/root/root-cert.pem"),
        Path.of("/run/wp/sds.sock"));
  }

  private static Cluster cluster(Bootstrap b, String name) {
    return b.getStaticResources().getClustersList().stream()
        .filter(c -> c.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void nodeAdminAndAdsOverVerifiedTls() throws Exception {
    Bootstrap b = build("ambient-controller.istio-system.svc");
    assertThat(b.getNode().getId()).isEqualTo("shop/waypoint");
    assertThat(b.getAdmin().getAddress().getSocketAddress().getAddress()).isEqualTo("127.0.0.1");

    Cluster ads = cluster(b, AgentBootstrap.ADS_CLUSTER);
    assertThat(ads.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
    var endpoint =
        ads.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress();
    assertThat(endpoint.getSocketAddress().getAddress())
        .isEqualTo("ambient-controller.istio-system.svc");
    assertThat(endpoint.getSocketAddress().getPortValue()).isEqualTo(15012);
    UpstreamTlsContext tls =
        ads.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo("ambient-controller.istio-system.svc");
    var common = tls.getCommonTlsContext();
    assertThat(common.getTlsParams().getTlsMinimumProtocolVersion())
        .isEqualTo(TlsParameters.TlsProtocol.TLSv1_3);
    assertThat(common.getAlpnProtocolsList()).containsExactly("h2");
    assertThat(common.getValidationContext().getTrustedCa().getFilename())
        .isEqualTo("/var/run/ambient/root/root-cert.pem");
    assertThat(common.getValidationContext().getWatchedDirectory().getPath())
        .isEqualTo("/var/run/ambient/root");
    SubjectAltNameMatcher san = common.getValidationContext().getMatchTypedSubjectAltNames(0);
    assertThat(san.getSanType()).isEqualTo(SubjectAltNameMatcher.SanType.URI);
    assertThat(san.getMatcher().getExact()).isEqualTo(CONTROLLER.uri());

    GrpcService grpc = b.getDynamicResources().getAdsConfig().getGrpcServices(0);
    assertThat(grpc.getEnvoyGrpc().getClusterName()).isEqualTo(AgentBootstrap.ADS_CLUSTER);
    assertThat(grpc.getInitialMetadataList()).as("no token that could expire").isEmpty();
    assertThat(common.getTlsCertificateSdsSecretConfigsList())
        .singleElement()
        .satisfies(
            sds -> {
              assertThat(sds.getName()).isEqualTo(AgentSds.CERT_SECRET);
              assertThat(
                      sds.getSdsConfig()
                          .getApiConfigSource()
                          .getGrpcServices(0)
                          .getEnvoyGrpc()
                          .getClusterName())
                  .isEqualTo(AgentSds.CLUSTER);
            });
  }

  @Test
  void sdsIsTheAgentsUnixSocketAndNothingSecretIsWritten() {
    Bootstrap b = build("127.0.0.9");
    Cluster sds = cluster(b, AgentSds.CLUSTER);
    assertThat(
            sds.getLoadAssignment()
                .getEndpoints(0)
                .getLbEndpoints(0)
                .getEndpoint()
                .getAddress()
                .getPipe()
                .getPath())
        .isEqualTo("/run/wp/sds.sock");
    assertThat(cluster(b, AgentBootstrap.ADS_CLUSTER).getType())
        .as("an IP literal needs no DNS")
        .isEqualTo(Cluster.DiscoveryType.STATIC);

    String json = AgentBootstrap.json(b);
    assertThat(json).contains("\"shop/waypoint\"", "agent_sds");
    assertThat(json)
        .doesNotContain("PRIVATE KEY", "private_key", "inline_bytes", "inlineBytes", "Bearer");
  }
}
