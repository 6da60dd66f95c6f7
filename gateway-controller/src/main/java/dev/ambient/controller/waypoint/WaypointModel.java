package dev.ambient.controller.waypoint;

import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything one waypoint serves, independent of Envoy: its name (the Envoy node id), identity and
 * address, a listener per service VIP and port, one per address of a pod that uses the waypoint for
 * itself, and the endpoints of every backend those listeners name. Immutable; equal inputs give
 * equal models.
 */
public record WaypointModel(
    String name,
    SpiffeId identity,
    InetAddress address,
    List<ServiceListener> listeners,
    List<Backend> backends,
    List<WorkloadListener> workloads) {
  public WaypointModel {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(address, "address");
    listeners = List.copyOf(listeners);
    backends = List.copyOf(backends);
    workloads = workloads == null ? List.of() : List.copyOf(workloads);
    Set<BackendRef> known = new LinkedHashSet<>();
    for (Backend b : backends) {
      known.add(b.ref());
    }
    for (BackendRef ref : referenced(listeners)) {
      if (!known.contains(ref)) {
        throw new IllegalArgumentException(
            "waypoint " + name + ": backend " + ref.clusterName() + " has no endpoint entry");
      }
    }
  }

  /** A waypoint for services only. */
  public WaypointModel(
      String name,
      SpiffeId identity,
      InetAddress address,
      List<ServiceListener> listeners,
      List<Backend> backends) {
    this(name, identity, address, listeners, backends, List.of());
  }

  private static List<BackendRef> referenced(List<ServiceListener> listeners) {
    List<BackendRef> out = new ArrayList<>();
    for (ServiceListener l : listeners) {
      if (l.tcpBackend() != null) {
        out.add(l.tcpBackend());
      }
      for (RouteRule r : l.routes()) {
        out.addAll(r.referencedBackends());
      }
    }
    return out;
  }

  /** The trust domain of the waypoint's identity (the mesh's). */
  public String trustDomain() {
    return identity.trustDomain();
  }
}
