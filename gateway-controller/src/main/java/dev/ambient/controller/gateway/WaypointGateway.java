package dev.ambient.controller.gateway;

import java.util.Map;
import java.util.Objects;

/**
 * A {@code Gateway} this controller runs as a waypoint: one whose GatewayClass names our
 * controller. Everything the waypoint's Deployment, Service and Envoy configuration are made from.
 *
 * @param infrastructureLabels {@code spec.infrastructure.labels}, copied to what we create
 * @param infrastructureAnnotations {@code spec.infrastructure.annotations}, likewise
 */
public record WaypointGateway(
    String namespace,
    String name,
    String uid,
    String className,
    Map<String, String> infrastructureLabels,
    Map<String, String> infrastructureAnnotations) {
  public WaypointGateway {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uid, "uid");
    infrastructureLabels = Map.copyOf(infrastructureLabels);
    infrastructureAnnotations = Map.copyOf(infrastructureAnnotations);
  }

  /** The Envoy node id every replica of this waypoint uses: {@code <namespace>/<name>}. */
  public String nodeId() {
    return namespace + "/" + name;
  }

  /**
   * The service account the waypoint runs as, hence its SPIFFE identity: the Gateway's name, as
   * Istio names it.
   */
  public String serviceAccount() {
    return name;
  }

  /** The waypoint Service's hostname, the name ztunnels send the waypoint's traffic to. */
  public String hostname(String clusterDomain) {
    return name + "." + namespace + ".svc." + clusterDomain;
  }
}
