package dev.ambient.wasm.filters.telemetry;

import dev.ambient.wasm.sdk.HttpContext;
import dev.ambient.wasm.sdk.Properties;

/**
 * Records the metrics at access-log time, when the response code and sizes are final; this also
 * covers requests answered locally by an earlier filter (e.g. an authz denial), whose header
 * callbacks never reach this filter.
 */
final class TelemetryStream extends HttpContext {
  private static final long NANOS_PER_MILLI = 1_000_000L;

  private final String reporter;

  TelemetryStream(String reporter) {
    this.reporter = reporter;
  }

  @Override
  public void onLog() {
    IstioLabels l = new IstioLabels();
    l.reporter = reporter;
    l.peer(Properties.peerPrincipal());
    l.sourceWorkload = filterState("wp.source_workload");
    l.sourceCanonicalService = filterState("wp.source_canonical_service");
    l.destinationWorkload = filterState("wp.destination_workload");
    l.destinationWorkloadNamespace = filterState("wp.destination_workload_namespace");
    l.destinationPrincipal = filterState("wp.destination_principal");
    l.destinationCanonicalService = filterState("wp.destination_canonical_service");
    l.destinationService = filterState("wp.destination_service");
    if (l.destinationService == null) {
      l.destinationService = IstioLabels.hostOf(requestHeaders().get(":authority"));
    }
    String contentType = requestHeaders().get("content-type");
    l.requestProtocol =
        contentType != null && contentType.startsWith("application/grpc") ? "grpc" : "http";
    l.responseCode = Properties.responseCode();

    IstioSeries series = IstioSeries.of(l.toLabels());
    series.requests.increment(1);
    long durationNanos = Properties.getLong(-1, "request", "duration");
    if (durationNanos >= 0) {
      series.recordDuration(durationNanos / NANOS_PER_MILLI);
    }
    series.requestBytes.record(Properties.getLong(0, "request", "total_size"));
    series.responseBytes.record(Properties.getLong(0, "response", "total_size"));
  }

  private static String filterState(String key) {
    String v = Properties.getString("filter_state", key);
    return v == null || v.isEmpty() ? null : v;
  }
}
