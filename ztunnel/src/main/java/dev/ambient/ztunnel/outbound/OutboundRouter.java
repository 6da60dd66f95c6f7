package dev.ambient.ztunnel.outbound;

import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;

/**
 * Decides the route of an outbound connection from one state snapshot. The only state it keeps is
 * load-balancing bookkeeping (round-robin positions); the live request counts for least-requests
 * come from the caller.
 */
public final class OutboundRouter {
  private final int hbonePort;
  private final ToIntFunction<Workload> activeConnections;
  private final Map<String, AtomicInteger> roundRobin = new ConcurrentHashMap<>();

  /**
   * @param hbonePort the port mesh workloads' ztunnels take HBONE on (15008)
   * @param activeConnections live outbound connections per endpoint, for LEAST_REQUESTS
   */
  public OutboundRouter(int hbonePort, ToIntFunction<Workload> activeConnections) {
    this.hbonePort = hbonePort;
    this.activeConnections = activeConnections;
  }

  public Route route(MeshState state, Workload source, InetSocketAddress dst) {
    InetAddress ip = dst.getAddress();
    Service service = state.serviceByVip(ip);
    if (service != null) {
      return serviceRoute(state, source, service, dst);
    }
    Workload workload = state.workloadByAddress(ip);
    if (workload == null) {
      return new Route.Passthrough(dst, null, null);
    }
    if (workload.waypoint() != null && !isWaypoint(source, workload.waypoint(), state)) {
      return viaWaypoint(state, source, workload.waypoint(), dst, workload, null);
    }
    return direct(workload, null, dst);
  }

  private Route serviceRoute(
      MeshState state, Workload source, Service service, InetSocketAddress dst) {
    ServicePort port = service.port(dst.getPort());
    if (port == null) {
      return new Route.Reject(
          "service " + service.resourceName() + ": field ports: no port " + dst.getPort());
    }
    if (service.waypoint() != null && !isWaypoint(source, service.waypoint(), state)) {
      return viaWaypoint(state, source, service.waypoint(), dst, null, service);
    }
    Workload endpoint = pick(state, service);
    if (endpoint == null) {
      return new Route.Reject(
          "service " + service.resourceName() + ": field endpoints: no endpoint with an address");
    }
    InetSocketAddress target =
        new InetSocketAddress(endpoint.addresses().get(0), port.effectiveTargetPort());
    return direct(endpoint, service, target);
  }

  private Route direct(Workload workload, Service service, InetSocketAddress target) {
    if (workload.protocol() != TunnelProtocol.HBONE) {
      return new Route.Passthrough(target, workload, service);
    }
    Set<SpiffeId> expected = new HashSet<>();
    expected.add(workload.identity());
    if (service != null) {
      for (String san : service.subjectAltNames()) {
        // An unparsable SAN can never match a verified peer; skipping it fails closed.
        SpiffeId id = SpiffeId.parseOrNull(san);
        if (id != null) {
          expected.add(id);
        }
      }
    }
    InetSocketAddress hbone = new InetSocketAddress(target.getAddress(), hbonePort);
    return new Route.Hbone(hbone, target, expected, workload, service);
  }

  private Route viaWaypoint(
      MeshState state,
      Workload source,
      GatewayAddress gateway,
      InetSocketAddress dst,
      Workload destination,
      Service service) {
    String owner =
        service != null ? "service " + service.resourceName() : "workload " + destination.uid();
    Workload waypoint;
    if (gateway.address() != null) {
      waypoint = state.workloadByAddress(gateway.address());
      if (waypoint == null) {
        return new Route.Reject(
            owner
                + ": field waypoint: address "
                + gateway.address().getHostAddress()
                + " is not a known workload");
      }
    } else {
      Service wpService = state.serviceByName(gateway.namespacedHostname());
      if (wpService == null) {
        return new Route.Reject(
            owner + ": field waypoint: unknown service " + gateway.namespacedHostname());
      }
      waypoint = pick(state, wpService);
      if (waypoint == null) {
        return new Route.Reject(
            owner
                + ": field waypoint: service "
                + gateway.namespacedHostname()
                + " has no endpoint with an address");
      }
    }
    InetAddress wpIp = gateway.address() != null ? gateway.address() : waypoint.addresses().get(0);
    return new Route.ViaWaypoint(
        new InetSocketAddress(wpIp, gateway.hbonePort()),
        dst,
        Set.of(waypoint.identity()),
        waypoint,
        destination,
        service);
  }

  /** The waypoint itself sends its traffic on directly, or it would loop to itself. */
  private static boolean isWaypoint(Workload source, GatewayAddress gateway, MeshState state) {
    if (source == null) {
      return false;
    }
    if (gateway.address() != null) {
      return source.addresses().contains(gateway.address());
    }
    Service wp = state.serviceByName(gateway.namespacedHostname());
    return wp != null && wp.endpoints().contains(source.uid());
  }

  private Workload pick(MeshState state, Service service) {
    List<Workload> endpoints =
        state.endpoints(service).stream().filter(w -> !w.addresses().isEmpty()).toList();
    if (endpoints.isEmpty()) {
      return null;
    }
    int start =
        Math.floorMod(
            roundRobin
                .computeIfAbsent(service.resourceName(), k -> new AtomicInteger())
                .getAndIncrement(),
            endpoints.size());
    if (service.loadBalancing() == LoadBalancing.ROUND_ROBIN) {
      return endpoints.get(start);
    }
    // Least requests; ties broken round-robin so equal endpoints share the load.
    Workload best = null;
    int bestCount = Integer.MAX_VALUE;
    for (int i = 0; i < endpoints.size(); i++) {
      Workload w = endpoints.get((start + i) % endpoints.size());
      int n = activeConnections.applyAsInt(w);
      if (n < bestCount) {
        best = w;
        bestCount = n;
      }
    }
    return best;
  }
}
