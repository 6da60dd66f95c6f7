package dev.ambient.controller.waypoint.xds;

import dev.ambient.controller.waypoint.Backend;
import dev.ambient.controller.waypoint.ServiceListener;
import dev.ambient.controller.waypoint.ServiceProtocol;
import dev.ambient.controller.waypoint.WaypointModel;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.ArrayList;
import java.util.List;

/**
 * The complete Envoy configuration of one waypoint (what one snapshot holds), built from its {@link
 * WaypointModel} and certificate. {@link #toString} names resources only: secrets hold the key.
 */
public record WaypointResources(
    List<Cluster> clusters,
    List<ClusterLoadAssignment> endpoints,
    List<Listener> listeners,
    List<RouteConfiguration> routes,
    List<Secret> secrets) {
  public WaypointResources {
    clusters = List.copyOf(clusters);
    endpoints = List.copyOf(endpoints);
    listeners = List.copyOf(listeners);
    routes = List.copyOf(routes);
    secrets = List.copyOf(secrets);
  }

  /** Nothing to serve: what a retired waypoint's remaining pods get. */
  public static final WaypointResources EMPTY =
      new WaypointResources(List.of(), List.of(), List.of(), List.of(), List.of());

  /** Local mode: the controller-made certificate and key go to Envoy as SDS secrets over ADS. */
  public static WaypointResources of(WaypointModel model, WorkloadCertificate certificate) {
    return build(model, null, WaypointSecrets.build(certificate));
  }

  /**
   * Pod mode: the waypoint runs in its own pod whose agent ({@code mesh waypoint run}) makes the
   * key and serves the certificate over its local SDS ({@link AgentSds}); these resources only
   * refer to it and hold no secret. The HBONE listener binds 0.0.0.0:15008 in the pod's network
   * namespace.
   */
  public static WaypointResources forPod(WaypointModel model) {
    return forPod(model, TerminateListener.ANY);
  }

  /**
   * Pod mode with the HBONE listener on {@code bind} instead of 0.0.0.0 (tests that run the pod's
   * Envoy beside other proxies on one loopback, where a wildcard 15008 would collide).
   */
  public static WaypointResources forPod(WaypointModel model, java.net.InetAddress bind) {
    return build(model, bind, List.of());
  }

  private static WaypointResources build(
      WaypointModel model, java.net.InetAddress podBind, List<Secret> secrets) {
    boolean pod = podBind != null;
    List<Cluster> clusters = new ArrayList<>();
    List<ClusterLoadAssignment> endpoints = new ArrayList<>();
    clusters.add(OriginateResources.mainInternalCluster());
    clusters.add(OriginateResources.originateCluster(model.trustDomain(), pod));
    for (Backend b : model.backends()) {
      clusters.add(OriginateResources.backendCluster(b));
      endpoints.add(OriginateResources.endpoints(b));
    }
    List<RouteConfiguration> routes = new ArrayList<>();
    for (ServiceListener s : model.listeners()) {
      if (s.protocol() != ServiceProtocol.TCP) {
        routes.add(RouteTables.build(s));
      }
    }
    List<Listener> listeners =
        List.of(
            TerminateListener.build(model, podBind),
            MainInternalListener.build(model),
            OriginateResources.originateListener());
    return new WaypointResources(clusters, endpoints, listeners, routes, secrets);
  }

  /** The same resources with one route table replaced (by name); for callers that edit routes. */
  public WaypointResources withRoute(RouteConfiguration route) {
    List<RouteConfiguration> next = new ArrayList<>();
    boolean replaced = false;
    for (RouteConfiguration r : routes) {
      if (r.getName().equals(route.getName())) {
        next.add(route);
        replaced = true;
      } else {
        next.add(r);
      }
    }
    if (!replaced) {
      next.add(route);
    }
    return new WaypointResources(clusters, endpoints, listeners, next, secrets);
  }

  public Snapshot toSnapshot(String version) {
    return Snapshot.create(clusters, endpoints, listeners, routes, secrets, version);
  }

  /** Names of the resources of a type URL in this configuration (for NACK reports). */
  public List<String> names(String typeUrl) {
    List<String> out = new ArrayList<>();
    if (typeUrl.endsWith("Cluster")) {
      clusters.forEach(c -> out.add(c.getName()));
    } else if (typeUrl.endsWith("ClusterLoadAssignment")) {
      endpoints.forEach(e -> out.add(e.getClusterName()));
    } else if (typeUrl.endsWith("Listener")) {
      listeners.forEach(l -> out.add(l.getName()));
    } else if (typeUrl.endsWith("RouteConfiguration")) {
      routes.forEach(r -> out.add(r.getName()));
    } else if (typeUrl.endsWith("Secret")) {
      secrets.forEach(s -> out.add(s.getName()));
    }
    return out;
  }

  /**
   * Names of the resources of a type that are new or different here compared with {@code before}
   * (all of them when {@code before} is null): what a NACK of this version is about.
   */
  public List<String> changedNames(String typeUrl, WaypointResources before) {
    java.util.Map<String, com.google.protobuf.Message> mine = byName(typeUrl);
    java.util.Map<String, com.google.protobuf.Message> old =
        before == null ? java.util.Map.of() : before.byName(typeUrl);
    List<String> out = new ArrayList<>();
    mine.forEach(
        (name, m) -> {
          if (!m.equals(old.get(name))) {
            out.add(name);
          }
        });
    return out;
  }

  private java.util.Map<String, com.google.protobuf.Message> byName(String typeUrl) {
    java.util.Map<String, com.google.protobuf.Message> out = new java.util.LinkedHashMap<>();
    if (typeUrl.endsWith("Cluster")) {
      clusters.forEach(c -> out.put(c.getName(), c));
    } else if (typeUrl.endsWith("ClusterLoadAssignment")) {
      endpoints.forEach(e -> out.put(e.getClusterName(), e));
    } else if (typeUrl.endsWith("Listener")) {
      listeners.forEach(l -> out.put(l.getName(), l));
    } else if (typeUrl.endsWith("RouteConfiguration")) {
      routes.forEach(r -> out.put(r.getName(), r));
    } else if (typeUrl.endsWith("Secret")) {
      secrets.forEach(s -> out.put(s.getName(), s));
    }
    return out;
  }

  @Override
  public String toString() {
    return "WaypointResources{clusters="
        + names("Cluster")
        + ", listeners="
        + names("Listener")
        + ", routes="
        + names("RouteConfiguration")
        + ", secrets="
        + names("Secret")
        + "}";
  }
}
