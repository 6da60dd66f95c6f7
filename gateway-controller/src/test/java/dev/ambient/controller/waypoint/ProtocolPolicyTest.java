package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.model.ServicePort;
import org.junit.jupiter.api.Test;

/** Istio's protocol selection for waypoint ports. */
class ProtocolPolicyTest {
  private static ServiceProtocol of(String name, String appProtocol) {
    return ProtocolPolicy.declared(new ServicePort(80, 8080, name, appProtocol));
  }

  @Test
  void theAppProtocolWinsOverTheName() {
    assertThat(of("http-web", "tcp")).isEqualTo(ServiceProtocol.TCP);
    assertThat(of("tcp-db", "HTTP")).isEqualTo(ServiceProtocol.HTTP);
    assertThat(of("http", "kubernetes.io/h2c")).isEqualTo(ServiceProtocol.HTTP);
  }

  @Test
  void theNameDeclaresByItsFirstPart() {
    assertThat(of("http", null)).isEqualTo(ServiceProtocol.HTTP);
    assertThat(of("grpc-api", null)).isEqualTo(ServiceProtocol.HTTP);
    assertThat(of("grpc-web", null)).isEqualTo(ServiceProtocol.HTTP);
    assertThat(of("http2-internal", null)).isEqualTo(ServiceProtocol.HTTP);
    assertThat(of("mysql", null)).isEqualTo(ServiceProtocol.TCP);
    assertThat(of("tls-passthrough", null)).isEqualTo(ServiceProtocol.TCP);
    assertThat(of("https", null)).as("the app's own TLS").isEqualTo(ServiceProtocol.TCP);
  }

  @Test
  void anythingElseIsDetected() {
    assertThat(of(null, null)).isEqualTo(ServiceProtocol.DETECT);
    assertThat(of("web", null)).isEqualTo(ServiceProtocol.DETECT);
    assertThat(of("httpish", null)).isEqualTo(ServiceProtocol.DETECT);
    assertThat(of("web", "custom.example/proto")).isEqualTo(ServiceProtocol.DETECT);
  }
}
