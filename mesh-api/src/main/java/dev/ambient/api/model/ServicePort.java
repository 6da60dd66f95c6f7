package dev.ambient.api.model;

/**
 * A service port and the port its endpoints listen on. A target port of 0 means "the same as the
 * service port", as in Istio's workload API.
 *
 * @param name the Kubernetes port name, or {@code null} when it has none (HTTPRoute parentRefs bind
 *     to it by {@code sectionName}); not carried over WDS, Istio's workload API has no field for it
 * @param appProtocol the Kubernetes port's {@code appProtocol}, or {@code null}; with the name, it
 *     tells a waypoint whether the port speaks HTTP (not carried over WDS either)
 */
public record ServicePort(int port, int targetPort, String name, String appProtocol) {
  public ServicePort {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("service port out of range: " + port);
    }
    if (targetPort < 0 || targetPort > 65535) {
      throw new IllegalArgumentException("target port out of range: " + targetPort);
    }
    if (name != null && name.isEmpty()) {
      name = null;
    }
    if (appProtocol != null && appProtocol.isEmpty()) {
      appProtocol = null;
    }
  }

  /** A port without appProtocol. */
  public ServicePort(int port, int targetPort, String name) {
    this(port, targetPort, name, null);
  }

  /** An unnamed port. */
  public ServicePort(int port, int targetPort) {
    this(port, targetPort, null, null);
  }

  public int effectiveTargetPort() {
    return targetPort == 0 ? port : targetPort;
  }
}
