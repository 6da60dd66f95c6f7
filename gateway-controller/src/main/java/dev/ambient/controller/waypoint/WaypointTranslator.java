package dev.ambient.controller.waypoint;

import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.waypoint.authz.WaypointPolicies;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Mesh model to {@link WaypointModel}, a pure function. A waypoint is a workload of the mesh; it
 * serves every service whose {@code waypoint} names it, by address or through a service the
 * waypoint workload is an endpoint of (ztunnel's {@code OutboundRouter} uses the same rule to send
 * traffic there). With no HTTPRoute (none exist in the model yet) each service routes to itself.
 */
public final class WaypointTranslator {
  private WaypointTranslator() {}

  /** The node id Envoy uses for the waypoint workload: {@code <namespace>/<name>}. */
  public static String nodeId(Workload waypoint) {
    return waypoint.namespace() + "/" + waypoint.name();
  }

  /**
   * @throws IllegalArgumentException naming the field when {@code waypointUid} is not a workload
   *     with an address
   */
  public static WaypointModel translate(
      MeshState state, String waypointUid, ProtocolPolicy protocols) {
    return translate(state, waypointUid, protocols, Map.of());
  }

  /**
   * @param routes route tables from HTTPRoutes ({@link RouteTables}); a service port without a
   *     table routes to itself
   */
  public static WaypointModel translate(
      MeshState state,
      String waypointUid,
      ProtocolPolicy protocols,
      Map<BackendRef, List<RouteRule>> routes) {
    return translate(state, waypointUid, protocols, routes, WaypointPolicies.NONE);
  }

  /**
   * @param routes route tables from HTTPRoutes ({@link RouteTables}); a service port without a
   *     table routes to itself
   * @param policies the waypoint's AuthorizationPolicies ({@link
   *     dev.ambient.controller.waypoint.authz.WaypointPolicyTranslator}); each service listener
   *     enforces the waypoint-wide ones and its service's
   */
  public static WaypointModel translate(
      MeshState state,
      String waypointUid,
      ProtocolPolicy protocols,
      Map<BackendRef, List<RouteRule>> routes,
      WaypointPolicies policies) {
    Workload waypoint = state.workloadByUid(waypointUid);
    if (waypoint == null) {
      throw new IllegalArgumentException(
          "waypoint " + waypointUid + ": not a workload of the mesh");
    }
    if (waypoint.addresses().isEmpty()) {
      throw new IllegalArgumentException("waypoint " + waypointUid + ": field addresses: empty");
    }
    return build(
        state,
        nodeId(waypoint),
        waypoint.identity(),
        waypoint.addresses().get(0),
        gateway -> servedBy(state, gateway, waypoint),
        protocols,
        routes,
        policies);
  }

  /**
   * The waypoint of a Gateway, whose replicas share one configuration: it serves every service
   * whose {@code waypoint} is the Gateway's Service, by hostname or by one of its addresses.
   *
   * @param nodeId the Envoy node id of the Gateway's replicas
   * @param waypointService the Gateway's Service, {@code <namespace>/<hostname>}
   * @throws IllegalArgumentException when the Service does not exist or has no address yet
   */
  public static WaypointModel translateGateway(
      MeshState state,
      String nodeId,
      SpiffeId identity,
      String waypointService,
      ProtocolPolicy protocols,
      Map<BackendRef, List<RouteRule>> routes,
      WaypointPolicies policies) {
    Service wp = state.serviceByName(waypointService);
    if (wp == null) {
      throw new IllegalArgumentException(
          "waypoint " + nodeId + ": its Service " + waypointService + " is not in the mesh yet");
    }
    if (wp.vips().isEmpty()) {
      throw new IllegalArgumentException(
          "waypoint " + nodeId + ": its Service " + waypointService + " has no address yet");
    }
    return build(
        state,
        nodeId,
        identity,
        wp.vips().get(0),
        gateway ->
            gateway != null
                && (waypointService.equals(gateway.namespacedHostname())
                    || (gateway.address() != null && wp.vips().contains(gateway.address()))),
        protocols,
        routes,
        policies);
  }

  private static WaypointModel build(
      MeshState state,
      String nodeId,
      SpiffeId identity,
      InetAddress address,
      Predicate<GatewayAddress> serves,
      ProtocolPolicy protocols,
      Map<BackendRef, List<RouteRule>> routes,
      WaypointPolicies policies) {
    List<ServiceListener> listeners = new ArrayList<>();
    Map<BackendRef, Backend> backends = new LinkedHashMap<>();
    for (Service service : state.services()) {
      if (!serves.test(service.waypoint())) {
        continue;
      }
      for (ServicePort port : service.ports()) {
        BackendRef self = new BackendRef(service.resourceName(), port.port());
        backends.computeIfAbsent(self, ref -> backend(state, service, port, ref));
        ServiceProtocol protocol = protocols.protocol(service, port);
        List<RouteRule> table = routes.getOrDefault(self, List.of(RouteRule.toSelf(self)));
        if (protocol != ServiceProtocol.TCP) {
          // Backends a route sends to need clusters too, wherever their own waypoint is.
          for (RouteRule rule : table) {
            for (BackendRef b : rule.referencedBackends()) {
              backends.computeIfAbsent(b, ref -> backend(state, ref));
            }
          }
        }
        var enforced = policies.forService(service.resourceName());
        for (InetAddress vip : service.vips()) {
          ServiceListener listener =
              switch (protocol) {
                case TCP -> ServiceListener.tcp(vip, self);
                case HTTP -> ServiceListener.http(vip, self, table);
                case DETECT -> ServiceListener.detect(vip, self, table);
              };
          listeners.add(listener.withPolicies(enforced));
        }
      }
    }
    // Pod-addressed traffic of the pods that use this waypoint for themselves.
    List<WorkloadListener> workloads = new ArrayList<>();
    for (Workload w : state.workloads()) {
      if (w.protocol() != TunnelProtocol.HBONE || !serves.test(w.waypoint())) {
        continue;
      }
      for (InetAddress a : w.addresses()) {
        workloads.add(
            new WorkloadListener(
                a, w.identity(), w.namespace() + "/" + w.name(), policies.waypoint()));
      }
    }
    return new WaypointModel(
        nodeId, identity, address, listeners, List.copyOf(backends.values()), workloads);
  }

  static boolean servedBy(MeshState state, GatewayAddress gateway, Workload waypoint) {
    if (gateway == null) {
      return false;
    }
    if (gateway.address() != null) {
      return waypoint.addresses().contains(gateway.address());
    }
    Service wp = state.serviceByName(gateway.namespacedHostname());
    return wp != null && wp.endpoints().contains(waypoint.uid());
  }

  /** A route's backend by reference: no endpoints when the service or port does not exist. */
  private static Backend backend(MeshState state, BackendRef ref) {
    Service service = state.serviceByName(ref.service());
    ServicePort port = service == null ? null : service.port(ref.port());
    if (port == null) {
      return new Backend(ref, List.of());
    }
    return backend(state, service, port, ref);
  }

  /**
   * The HBONE endpoints of a service port. Plain-TCP workloads are left out: the waypoint only
   * originates HBONE so far.
   */
  private static Backend backend(
      MeshState state, Service service, ServicePort port, BackendRef ref) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (Workload w : state.endpoints(service)) {
      if (w.protocol() != TunnelProtocol.HBONE || w.addresses().isEmpty()) {
        continue;
      }
      endpoints.add(new Endpoint(w.addresses().get(0), port.effectiveTargetPort(), w.identity()));
    }
    return new Backend(ref, endpoints);
  }
}
