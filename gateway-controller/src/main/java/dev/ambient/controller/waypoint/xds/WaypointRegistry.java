package dev.ambient.controller.waypoint.xds;

import java.util.Optional;

/**
 * Which Kubernetes service account each waypoint runs as: the controller's fleet of waypoints (one
 * Deployment per waypoint Gateway) implements this, so that the ADS server can tell whether a pod
 * may have a Gateway's configuration.
 */
@FunctionalInterface
public interface WaypointRegistry {
  /**
   * The service account ({@code <namespace>/<name>}) the waypoint with Envoy node id {@code
   * <namespace>/<gateway name>} runs as, or empty when no such waypoint is known.
   */
  Optional<String> serviceAccountOf(String nodeId);
}
