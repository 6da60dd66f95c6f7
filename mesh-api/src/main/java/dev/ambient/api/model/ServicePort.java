package dev.ambient.api.model;

/**
 * A service port and the port its endpoints listen on. A target port of 0 means "the same as the
 * service port", as in Istio's workload API.
 */
public record ServicePort(int port, int targetPort) {
  public ServicePort {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("service port out of range: " + port);
    }
    if (targetPort < 0 || targetPort > 65535) {
      throw new IllegalArgumentException("target port out of range: " + targetPort);
    }
  }

  public int effectiveTargetPort() {
    return targetPort == 0 ? port : targetPort;
  }
}
