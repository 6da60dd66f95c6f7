package dev.ambient.api.model;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * A service: a hostname, virtual IPs and ports, and the workloads that serve it.
 *
 * @param endpoints uids of the workloads behind the service
 * @param waypoint the waypoint for traffic addressed to this service, or {@code null}
 * @param subjectAltNames extra identities a client accepts from this service's endpoints
 */
public record Service(
    String name,
    String namespace,
    String hostname,
    List<InetAddress> vips,
    List<ServicePort> ports,
    List<String> endpoints,
    LoadBalancing loadBalancing,
    GatewayAddress waypoint,
    List<String> subjectAltNames) {

  public Service {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(hostname, "hostname");
    vips = List.copyOf(vips);
    ports = List.copyOf(ports);
    endpoints = List.copyOf(endpoints);
    loadBalancing = loadBalancing == null ? LoadBalancing.ROUND_ROBIN : loadBalancing;
    subjectAltNames = subjectAltNames == null ? List.of() : List.copyOf(subjectAltNames);
  }

  /** Istio's resource name for a service: {@code <namespace>/<hostname>}. */
  public String resourceName() {
    return namespace + "/" + hostname;
  }

  /** The port entry for a service port, or {@code null} when the service does not expose it. */
  public ServicePort port(int servicePort) {
    for (ServicePort p : ports) {
      if (p.port() == servicePort) {
        return p;
      }
    }
    return null;
  }
}
