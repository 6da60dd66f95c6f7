package dev.ambient.controller.waypoint;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.waypoint.authz.L7Policy;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * Traffic addressed to a pod that uses this waypoint for itself ({@code istio.io/use-waypoint} on
 * the pod, or its namespace's for a waypoint of {@code istio.io/waypoint-for: workload} or {@code
 * all}): any port of {@code address}, proxied at L4 back to the pod over HBONE, the pod's ztunnel
 * required to present {@code identity}.
 *
 * @param workload the pod as {@code <namespace>/<name>} (stats and chain names)
 * @param policies the waypoint-wide AuthorizationPolicies (a Service's own policies are for traffic
 *     addressed to the Service)
 */
public record WorkloadListener(
    InetAddress address, SpiffeId identity, String workload, List<L7Policy> policies) {
  public WorkloadListener {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(workload, "workload");
    policies = List.copyOf(policies);
  }
}
