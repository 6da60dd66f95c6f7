package dev.ambient.controller.waypoint.xds;

/** Names shared by the waypoint's Envoy resources (listeners, clusters, secrets, filter state). */
final class XdsNames {
  static final String CONNECT_TERMINATE = "connect_terminate";
  static final String MAIN_INTERNAL = "main_internal";
  static final String CONNECT_ORIGINATE = "connect_originate";
  static final String CERT_SECRET = "wp-cert";
  static final String BUNDLE_SECRET = "bundle";
  static final String ORIGINAL_DST = "envoy.filters.listener.original_dst";
  static final String PEER_PRINCIPAL = "wp.peer_principal";
  static final int HBONE_PORT = 15008;

  private XdsNames() {}
}
