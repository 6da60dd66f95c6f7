package dev.ambient.wasm.filters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.wasm.host.HostState;
import dev.ambient.wasm.host.HttpStream;
import dev.ambient.wasm.host.ProxyWasmHost;
import org.junit.jupiter.api.Test;

/** The compiled telemetry filter in the Chicory host: Istio's metric names, labels and values. */
class TelemetryWasmTest {
  static final String LABELS_200 =
      "reporter=.=waypoint;.;source_workload=.=client-v1;.;source_workload_namespace=.=shop;.;"
          + "source_principal=.=spiffe://cluster.local/ns/shop/sa/client;.;"
          + "source_canonical_service=.=unknown;.;destination_workload=.=unknown;.;"
          + "destination_workload_namespace=.=unknown;.;destination_principal=.=unknown;.;"
          + "destination_service=.=reviews.shop.svc.cluster.local;.;"
          + "destination_canonical_service=.=unknown;.;request_protocol=.=http;.;"
          + "response_code=.=200;.;connection_security_policy=.=mutual_tls;.;";

  static ProxyWasmHost telemetry() {
    ProxyWasmHost host = ProxyWasmHost.load("telemetry");
    assertThat(host.start("")).isTrue();
    assertThat(host.configure("")).as("%s", host.logs()).isTrue();
    return host;
  }

  static void exchange(ProxyWasmHost host, int code, long durationMillis, long reqBytes) {
    HttpStream s = host.newStream();
    s.requestHeaders().add(new String[] {":method", "GET"});
    s.requestHeaders().add(new String[] {":authority", "reviews.shop.svc.cluster.local:9080"});
    ProxyWasmHost.property(
        s, "filter_state.wp.peer_principal", "spiffe://cluster.local/ns/shop/sa/client");
    ProxyWasmHost.property(s, "filter_state.wp.source_workload", "client-v1");
    ProxyWasmHost.property(s, "response.code", code);
    ProxyWasmHost.property(s, "request.duration", durationMillis * 1_000_000L);
    ProxyWasmHost.property(s, "request.total_size", reqBytes);
    ProxyWasmHost.property(s, "response.total_size", 321);
    assertThat(host.requestHeaders(s, true)).isZero();
    s.responseHeaders().add(new String[] {":status", Integer.toString(code)});
    assertThat(host.responseHeaders(s, true)).isZero();
    host.finish(s);
  }

  @Test
  void recordsIstioMetricsWithIstioLabels() {
    ProxyWasmHost host = telemetry();
    exchange(host, 200, 12, 100);
    exchange(host, 200, 30, 200);
    exchange(host, 503, 5, 50);

    assertThat(host.metric(LABELS_200 + "istio_requests_total").value).isEqualTo(2);
    HostState.Metric duration = host.metric(LABELS_200 + "istio_request_duration_milliseconds");
    assertThat(duration.type).isEqualTo(2);
    assertThat(duration.samples).containsExactly(12L, 30L);
    assertThat(host.metric(LABELS_200 + "istio_request_bytes").samples).containsExactly(100L, 200L);
    assertThat(host.metric(LABELS_200 + "istio_response_bytes").samples)
        .containsExactly(321L, 321L);
    String labels503 = LABELS_200.replace("response_code=.=200", "response_code=.=503");
    assertThat(host.metric(labels503 + "istio_requests_total").value).isEqualTo(1);
  }

  @Test
  void plaintextPeerAndGrpcAreLabelled() {
    ProxyWasmHost host = telemetry();
    HttpStream s = host.newStream();
    s.requestHeaders().add(new String[] {":authority", "[fd00::1]:80"});
    s.requestHeaders().add(new String[] {"content-type", "application/grpc+proto"});
    ProxyWasmHost.property(s, "response.code", 200);
    host.requestHeaders(s, true);
    host.finish(s);
    String name =
        host.metrics().keySet().stream()
            .filter(n -> n.endsWith("istio_requests_total"))
            .findFirst()
            .orElseThrow();
    assertThat(name)
        .contains("source_principal=.=unknown;.;")
        .contains("destination_service=.=[fd00::1];.;")
        .contains("request_protocol=.=grpc;.;")
        .contains("connection_security_policy=.=none;.;");
    // No duration attribute: no duration sample rather than a made-up one.
    assertThat(host.metrics().keySet()).noneMatch(n -> n.endsWith("duration_milliseconds"));
  }

  @Test
  void rejectsUnknownConfiguration() {
    ProxyWasmHost host = ProxyWasmHost.load("telemetry");
    assertThat(host.start("")).isTrue();
    assertThat(host.configure("{\"reportr\": \"waypoint\"}")).isFalse();
    assertThat(host.logged(4, "reportr: unknown field (known: reporter)")).isTrue();
    assertThat(host.configure("{\"reporter\": \"sidecar\"}")).isFalse();
    assertThat(host.logged(4, "reporter: expected waypoint, source or destination")).isTrue();
  }
}
