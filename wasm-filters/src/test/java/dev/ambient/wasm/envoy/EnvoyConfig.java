package dev.ambient.wasm.envoy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes static Envoy bootstraps for the tests: admin and one listener ({@value #LISTENER}) on
 * ephemeral 127.0.0.1 ports, an HTTP connection manager with the given HTTP filters and then the
 * router, one cluster to the local test backend. Output is JSON-style flow YAML, so every string is
 * quoted with {@link #q(String)} and no indentation rules apply.
 */
public final class EnvoyConfig {
  public static final String LISTENER = "test";

  /**
   * Istio's label names for the telemetry filter's metrics. Each gets a {@code stats_tags} rule,
   * {@code (<tag>=\.=(.*?);\.;)}, as in Istio's bootstrap, so Prometheus sees them as labels.
   */
  public static final List<String> ISTIO_TAGS =
      List.of(
          "reporter",
          "source_workload",
          "source_workload_namespace",
          "source_principal",
          "source_canonical_service",
          "destination_workload",
          "destination_workload_namespace",
          "destination_principal",
          "destination_service",
          "destination_canonical_service",
          "request_protocol",
          "response_code",
          "connection_security_policy",
          // the authz filter's own counters
          "decision",
          "policy");

  private final int backendPort;
  private final List<String> httpFilters = new ArrayList<>();
  private Path accessLog;
  private String accessLogFormat =
      "%RESPONSE_CODE% %REQUEST_HEADERS_BYTES% %BYTES_RECEIVED% %RESPONSE_HEADERS_BYTES% %BYTES_SENT%"
          + " %DURATION%\n";
  private String transportSocket = "";
  private String networkFilters = "";

  public EnvoyConfig(int backendPort) {
    this.backendPort = backendPort;
  }

  /** Adds an HTTP filter (a JSON object) before the router. */
  public EnvoyConfig filter(String filterJson) {
    httpFilters.add(filterJson);
    return this;
  }

  /**
   * Terminates mTLS on the listener: server certificate and key, and the CA that client
   * certificates must chain to (a client certificate is required).
   */
  public EnvoyConfig mtls(Path certChain, Path key, Path clientCa) {
    transportSocket =
        ", \"transport_socket\": {\"name\": \"envoy.transport_sockets.tls\", \"typed_config\": {"
            + "\"@type\": \"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext\","
            + " \"require_client_certificate\": true, \"common_tls_context\": {"
            + "\"tls_certificates\": [{\"certificate_chain\": {\"filename\": "
            + q(certChain.toString())
            + "}, \"private_key\": {\"filename\": "
            + q(key.toString())
            + "}}], \"validation_context\": {\"trusted_ca\": {\"filename\": "
            + q(clientCa.toString())
            + "}}}}}";
    return this;
  }

  /**
   * A network set_filter_state filter that copies the TLS peer's URI SAN into connection filter
   * state {@code key} at {@code on_new_connection}. On a TLS listener this runs before the
   * handshake has finished, so the value is empty (seen in Envoy 1.40; {@link AuthzMtlsEnvoyTest}
   * asserts it): copy the SAN at the HTTP level instead ({@link #filterState}).
   */
  public EnvoyConfig peerPrincipalFromTls(String key) {
    networkFilters =
        "{\"name\": \"envoy.filters.network.set_filter_state\", \"typed_config\": {"
            + "\"@type\": \"type.googleapis.com/envoy.extensions.filters.network.set_filter_state.v3.Config\","
            + " \"on_new_connection\": [{\"object_key\": "
            + q(key)
            + ", \"factory_key\": \"envoy.hashable_string\","
            + " \"format_string\": {\"omit_empty_values\": true, \"text_format_source\":"
            + " {\"inline_string\": \"%DOWNSTREAM_PEER_URI_SAN%\"}}}]}}, ";
    return this;
  }

  /** Writes one line per request: request header bytes, body bytes, response header bytes, body. */
  public EnvoyConfig accessLog(Path file) {
    this.accessLog = file;
    return this;
  }

  /** An access log with Envoy's format string {@code format} (one line per request). */
  public EnvoyConfig accessLog(Path file, String format) {
    this.accessLog = file;
    this.accessLogFormat = format;
    return this;
  }

  /**
   * The Wasm filter: V8 runtime, module from a local file, {@code configuration} as a
   * google.protobuf.StringValue holding the plugin's JSON.
   */
  public static String wasm(String name, Path module, String configJson) {
    return "{\"name\": \"envoy.filters.http.wasm\", \"typed_config\": {"
        + "\"@type\": \"type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm\","
        + " \"config\": {\"name\": "
        + q(name)
        + ", \"root_id\": \"\","
        + " \"configuration\": {\"@type\": \"type.googleapis.com/google.protobuf.StringValue\","
        + " \"value\": "
        + q(configJson)
        + "},"
        + " \"vm_config\": {\"vm_id\": "
        + q(name)
        + ", \"runtime\": \"envoy.wasm.runtime.v8\","
        + " \"code\": {\"local\": {\"filename\": "
        + q(module.toString())
        + "}}}}}}";
  }

  /**
   * Copies a request header into filter state {@code key}: the tests' stand-in for the waypoint,
   * which copies the HBONE peer's identity there. An absent header leaves it empty.
   */
  public static String filterStateFromHeader(String key, String header) {
    return filterState(key, "%REQ(" + header + ")%");
  }

  /**
   * An HTTP set_filter_state filter that sets {@code key} ({@code envoy.hashable_string}) to an
   * Envoy format string, evaluated on request headers; empty values stay empty.
   */
  public static String filterState(String key, String format) {
    return "{\"name\": \"envoy.filters.http.set_filter_state\", \"typed_config\": {"
        + "\"@type\": \"type.googleapis.com/envoy.extensions.filters.http.set_filter_state.v3.Config\","
        + " \"on_request_headers\": [{\"object_key\": "
        + q(key)
        + ", \"factory_key\": \"envoy.hashable_string\","
        + " \"format_string\": {\"omit_empty_values\": true, \"text_format_source\":"
        + " {\"inline_string\": "
        + q(format)
        + "}}}]}}";
  }

  /** Envoy's native RBAC filter with the given {@code rules} object (RBAC policy JSON). */
  public static String rbac(String rulesJson) {
    return "{\"name\": \"envoy.filters.http.rbac\", \"typed_config\": {"
        + "\"@type\": \"type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC\","
        + " \"rules\": "
        + rulesJson
        + "}}";
  }

  public String bootstrap() {
    StringBuilder tags = new StringBuilder();
    for (String t : ISTIO_TAGS) {
      if (tags.length() > 0) {
        tags.append(", ");
      }
      tags.append("{\"tag_name\": ")
          .append(q(t))
          .append(", \"regex\": ")
          .append(q(tagRegex(t)))
          .append('}');
    }
    StringBuilder filters = new StringBuilder();
    for (String f : httpFilters) {
      filters.append(f).append(", ");
    }
    filters.append(
        "{\"name\": \"envoy.filters.http.router\", \"typed_config\": {\"@type\":"
            + " \"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\"}}");
    String log = "";
    if (accessLog != null) {
      log =
          ", \"access_log\": [{\"name\": \"envoy.access_loggers.file\", \"typed_config\": {"
              + "\"@type\": \"type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog\","
              + " \"path\": "
              + q(accessLog.toString())
              + ", \"log_format\": {\"text_format_source\": {\"inline_string\": "
              + q(accessLogFormat)
              + "}}}}]";
    }
    return "{\"admin\": {\"address\": {\"socket_address\": {\"address\": \"127.0.0.1\","
        + " \"port_value\": 0}}},\n"
        + " \"node\": {\"id\": \"wasm-test\", \"cluster\": \"wasm-test\"},\n"
        // Histograms reach the admin endpoints only at a stats flush; flush often so tests wait
        // little.
        + " \"stats_flush_interval\": \"0.2s\",\n"
        + " \"stats_config\": {\"stats_tags\": ["
        + tags
        + "]},\n"
        + " \"static_resources\": {\"listeners\": [{\"name\": "
        + q(LISTENER)
        + ", \"address\": {\"socket_address\": {\"address\": \"127.0.0.1\", \"port_value\": 0}},"
        + " \"filter_chains\": [{\"filters\": ["
        + networkFilters
        + "{\"name\":"
        + " \"envoy.filters.network.http_connection_manager\", \"typed_config\": {"
        + "\"@type\": \"type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager\","
        + " \"stat_prefix\": \"test\""
        + log
        + ", \"route_config\": {\"virtual_hosts\": [{\"name\": \"all\", \"domains\": [\"*\"],"
        + " \"routes\": [{\"match\": {\"prefix\": \"/\"}, \"route\": {\"cluster\": \"backend\"}}]}]},\n"
        + " \"http_filters\": ["
        + filters
        + "]}}]"
        + transportSocket
        + "}]}],\n"
        + " \"clusters\": [{\"name\": \"backend\", \"type\": \"STATIC\", \"connect_timeout\": \"2s\","
        + " \"load_assignment\": {\"cluster_name\": \"backend\", \"endpoints\": [{\"lb_endpoints\":"
        + " [{\"endpoint\": {\"address\": {\"socket_address\": {\"address\": \"127.0.0.1\","
        + " \"port_value\": "
        + backendPort
        + "}}}}]}]}}]}}\n";
  }

  /**
   * The {@code stats_tags} regex for one label. Istio's form {@code (<tag>=\\.=(.*?);\\.;)} also
   * matches inside a longer label ending in the same name: a tag {@code policy} would take its
   * value from {@code connection_security_policy=.=mutual_tls;.;} (seen in Envoy 1.40). Requiring
   * the character before the label to end the previous part ({@code wasmcustom.} or {@code ;.;})
   * keeps each rule on its own label.
   */
  public static String tagRegex(String tag) {
    return "[.;](" + tag + "=\\.=(.*?);\\.;)";
  }

  /** A JSON (and so YAML) double-quoted string. */
  public static String q(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
