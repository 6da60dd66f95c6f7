package dev.ambient.wasm.filters.telemetry;

import dev.ambient.wasm.sdk.ProxyWasm;
import org.teavm.interop.Export;

/**
 * Istio's standard HTTP metrics from the waypoint: {@code istio_requests_total}, {@code
 * istio_request_duration_milliseconds}, {@code istio_request_bytes}, {@code istio_response_bytes},
 * with Istio's labels. Plugin configuration: {@code {"reporter": "waypoint"}} (optional).
 */
public final class TelemetryFilter {
  private TelemetryFilter() {}

  public static void main(String[] args) {
    // Required by TeaVM; the host calls _initialize instead.
  }

  @Export(name = "_initialize")
  public static void initialize() {
    ProxyWasm.register(TelemetryRoot::new);
  }
}
