package dev.ambient.controller.waypoint;

import java.util.Objects;

/**
 * A service port a waypoint sends requests to.
 *
 * @param service the service's resource name, {@code <namespace>/<hostname>}
 * @param port the service port (not the target port)
 */
public record BackendRef(String service, int port) {
  public BackendRef {
    Objects.requireNonNull(service, "service");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("backend " + service + ": port out of range: " + port);
    }
  }

  /** Istio's cluster name for a service port, {@code outbound|<port>||<hostname>}. */
  public String clusterName() {
    int slash = service.indexOf('/');
    return "outbound|" + port + "||" + service.substring(slash + 1);
  }
}
