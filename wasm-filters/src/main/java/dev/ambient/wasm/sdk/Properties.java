package dev.ambient.wasm.sdk;

/**
 * Envoy attributes ({@code proxy_get_property}). A path is a list of segments, sent joined by NUL
 * bytes. Strings come back as raw bytes, integers as 8-byte little-endian values.
 *
 * <p>The peer identity: in the waypoint, requests reach the L7 filters over an internal listener
 * that carries no TLS, so {@code connection.uri_san_peer_certificate} is empty there. The waypoint
 * copies the HBONE peer's URI SAN into filter state {@code wp.peer_principal} ({@code
 * envoy.hashable_string}); {@link #peerPrincipal()} reads that first and falls back to the TLS
 * attribute for filters placed on a TLS listener.
 */
public final class Properties {
  /** Filter-state key under which the waypoint publishes the HBONE peer's SPIFFE ID. */
  public static final String PEER_PRINCIPAL_FILTER_STATE = "wp.peer_principal";

  private Properties() {}

  /** The raw value, or null when the attribute does not exist. */
  public static byte[] get(String... path) {
    return HostCalls.getProperty(encodePath(path));
  }

  /** The value as UTF-8 text, or null. */
  public static String getString(String... path) {
    byte[] v = get(path);
    return v == null ? null : Utf8.decode(v);
  }

  /** An integer attribute (Envoy serializes int64 as 8 little-endian bytes), or {@code dflt}. */
  public static long getLong(long dflt, String... path) {
    byte[] v = get(path);
    if (v == null || v.length != 8) {
      return dflt;
    }
    long r = 0;
    for (int i = 7; i >= 0; i--) {
      r = r << 8 | (v[i] & 0xff);
    }
    return r;
  }

  public static void set(byte[] value, String... path) {
    HostCalls.setProperty(encodePath(path), value);
  }

  public static String requestPath() {
    return getString("request", "path");
  }

  public static String requestMethod() {
    return getString("request", "method");
  }

  public static String requestHost() {
    return getString("request", "host");
  }

  public static String requestProtocol() {
    return getString("request", "protocol");
  }

  /** The HTTP response code, or 0 before there is one. */
  public static int responseCode() {
    return (int) getLong(0, "response", "code");
  }

  /** The destination port of the downstream connection, or 0. */
  public static int destinationPort() {
    return (int) getLong(0, "destination", "port");
  }

  /**
   * The calling workload's SPIFFE ID ({@code spiffe://<td>/ns/<ns>/sa/<sa>}), or null for a
   * plaintext or unknown peer. See the class comment for where it comes from.
   */
  public static String peerPrincipal() {
    String fromWaypoint = getString("filter_state", PEER_PRINCIPAL_FILTER_STATE);
    if (fromWaypoint != null && !fromWaypoint.isEmpty()) {
      return fromWaypoint;
    }
    String fromTls = getString("connection", "uri_san_peer_certificate");
    return fromTls == null || fromTls.isEmpty() ? null : fromTls;
  }

  /** A string from the Envoy node's metadata ({@code node.metadata.<key>}), or null. */
  public static String nodeMetadata(String key) {
    return getString("node", "metadata", key);
  }

  /** The plugin's name as configured in Envoy ({@code plugin_name}), or null. */
  public static String pluginName() {
    return getString("plugin_name");
  }

  static byte[] encodePath(String[] path) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < path.length; i++) {
      if (i > 0) {
        sb.append('\0');
      }
      sb.append(path[i]);
    }
    return Utf8.encode(sb.toString());
  }
}
