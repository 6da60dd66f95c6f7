package dev.ambient.wasm.filters.telemetry;

import dev.ambient.wasm.sdk.Labels;
import dev.ambient.wasm.sdk.SpiffeId;

/**
 * The label set of Istio's standard metrics, in Istio's order. Plain data so the mapping is
 * testable on the JVM; {@link TelemetryStream} fills it from Envoy attributes.
 *
 * <p>Where values come from in the waypoint: the peer's SPIFFE ID ({@code source_principal}, {@code
 * source_workload_namespace}, {@code connection_security_policy}); filter-state strings {@code
 * wp.source_workload}, {@code wp.source_canonical_service}, {@code wp.destination_*} when the
 * waypoint publishes them; else the {@code :authority} host for {@code destination_service}; else
 * Istio's {@code unknown}.
 */
final class IstioLabels {
  String reporter = "waypoint";
  String sourceWorkload;
  String sourceWorkloadNamespace;
  String sourcePrincipal;
  String sourceCanonicalService;
  String destinationWorkload;
  String destinationWorkloadNamespace;
  String destinationPrincipal;
  String destinationService;
  String destinationCanonicalService;
  String requestProtocol = "http";
  int responseCode;
  String connectionSecurityPolicy = "none";

  Labels toLabels() {
    return Labels.of("reporter", reporter)
        .and("source_workload", sourceWorkload)
        .and("source_workload_namespace", sourceWorkloadNamespace)
        .and("source_principal", sourcePrincipal)
        .and("source_canonical_service", sourceCanonicalService)
        .and("destination_workload", destinationWorkload)
        .and("destination_workload_namespace", destinationWorkloadNamespace)
        .and("destination_principal", destinationPrincipal)
        .and("destination_service", destinationService)
        .and("destination_canonical_service", destinationCanonicalService)
        .and("request_protocol", requestProtocol)
        .and("response_code", Integer.toString(responseCode))
        .and("connection_security_policy", connectionSecurityPolicy);
  }

  /** Fills the source labels from a SPIFFE ID {@code spiffe://<td>/ns/<ns>/sa/<sa>}. */
  void peer(String spiffeId) {
    if (spiffeId == null || spiffeId.isEmpty()) {
      return;
    }
    sourcePrincipal = spiffeId;
    connectionSecurityPolicy = "mutual_tls";
    SpiffeId id = SpiffeId.parse(spiffeId);
    if (id != null) {
      sourceWorkloadNamespace = id.namespace();
    }
  }

  /** {@code host[:port]} to host; IPv6 literals keep their brackets. */
  static String hostOf(String authority) {
    if (authority == null || authority.isEmpty()) {
      return null;
    }
    int colon = authority.lastIndexOf(':');
    if (colon > 0 && authority.indexOf(']') < colon) {
      return authority.substring(0, colon);
    }
    return authority;
  }
}
