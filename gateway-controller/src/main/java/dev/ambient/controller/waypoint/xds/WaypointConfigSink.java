package dev.ambient.controller.waypoint.xds;

/** Where a waypoint's configuration is published: an ADS server that serves it to the node. */
@FunctionalInterface
public interface WaypointConfigSink {
  /** Serves a new configuration to the node (the Envoy node id); returns its version. */
  String publish(String node, WaypointResources resources);
}
