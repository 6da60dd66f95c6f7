package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Ports that declare no protocol, in a real Envoy 1.40 waypoint: each connection is HTTP-routed
 * when its first bytes are HTTP and proxied at L4 otherwise.
 */
@Tag("envoy")
class WaypointProtocolsEnvoyTest extends WaypointEnvoyTestBase {

  @Test
  void undeclaredPortsAreRoutedAsHttpOrProxiedAsTcpPerConnection() throws Exception {
    HTTPRoute route = TestRoutes.echoSettingHeader("x-route", "detected");
    RouteTables.Result routes = RouteTables.translate(List.of(route), f.state, "cluster.local");
    f.publishAndWait(
        f.resources(f.model(routes.tables(), (service, port) -> ServiceProtocol.DETECT)));
    Http1.Response http =
        Http1.get(f.connect(f.vip, 80), "echo.default.svc.cluster.local", "/sniffed");
    assertThat(http.status()).isEqualTo(200);
    assertThat(f.backend.last("/sniffed").headers()).containsEntry("x-route", "detected");
    Socket tcp = f.connect(f.tcpVip, 9000);
    byte[] payload = "\u0016\u0003\u0001 not http at all\n".getBytes(StandardCharsets.ISO_8859_1);
    tcp.getOutputStream().write(payload);
    tcp.getOutputStream().flush();
    assertThat(tcp.getInputStream().readNBytes(payload.length)).isEqualTo(payload);
  }
}
