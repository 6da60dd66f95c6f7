package dev.ambient.controller.routes;

import dev.ambient.api.model.MeshState;
import dev.ambient.controller.kube.CoalescedPass;
import dev.ambient.controller.kube.Informers;
import dev.ambient.controller.waypoint.RouteProblem;
import dev.ambient.controller.waypoint.RouteTables;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the status of HTTPRoutes and GRPCRoutes whose parents are Services (mesh routes) true:
 * level-triggered from the informers' caches of the routes and Services, writing a route's status
 * only when what it should say differs from what it says. A write that loses a race (409) is
 * retried by the next pass. GRPCRoutes are followed only when their CRD is installed at start.
 */
public final class RouteStatusController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RouteStatusController.class);
  private static final Duration COALESCE = Duration.ofMillis(50);
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final KubernetesClient client;
  private final CoalescedPass passes;
  private SharedIndexInformer<HTTPRoute> routes;
  // Null when the cluster does not serve GRPCRoutes.
  private SharedIndexInformer<GRPCRoute> grpcRoutes;
  private SharedIndexInformer<Service> services;
  // Set when the Services informer is the caller's: detach from it, never close it.
  private ResourceEventHandler<Service> servicesHandler;
  // The mesh, for what the waypoints' translation leaves out of a route (null: not reported).
  private volatile Supplier<MeshState> mesh;
  private volatile String clusterDomain = "cluster.local";

  private RouteStatusController(KubernetesClient client) {
    this.client = client;
    this.passes = new CoalescedPass("route-status", this::pass);
  }

  /** Starts watching; returns null (and logs why) when the cluster does not serve HTTPRoutes. */
  public static RouteStatusController start(KubernetesClient client, Duration syncTimeout)
      throws TimeoutException, InterruptedException {
    return start(client, null, syncTimeout);
  }

  /**
   * Like {@link #start(KubernetesClient, Duration)}, watching Services through an informer the
   * caller already runs (and keeps owning), so the controller does not list and watch them twice.
   */
  public static RouteStatusController start(
      KubernetesClient client, SharedIndexInformer<Service> sharedServices, Duration syncTimeout)
      throws TimeoutException, InterruptedException {
    try {
      if (client
              .apiextensions()
              .v1()
              .customResourceDefinitions()
              .withName("httproutes.gateway.networking.k8s.io")
              .get()
          == null) {
        log.warn("the Gateway API HTTPRoute CRD is not installed: no route status is written");
        return null;
      }
    } catch (KubernetesClientException e) {
      log.warn("cannot check for the HTTPRoute CRD: {}", e.getMessage());
      return null;
    }
    RouteStatusController c = new RouteStatusController(client);
    Runnable onChange = () -> c.schedule(COALESCE);
    c.routes =
        client.resources(HTTPRoute.class).inAnyNamespace().inform(Informers.onAnyChange(onChange));
    if (crdServed(client, "grpcroutes.gateway.networking.k8s.io")) {
      c.grpcRoutes =
          client
              .resources(GRPCRoute.class)
              .inAnyNamespace()
              .inform(Informers.onAnyChange(onChange));
    } else {
      log.warn("the Gateway API GRPCRoute CRD is not installed: GRPCRoutes are not followed");
    }
    if (sharedServices != null) {
      c.services = sharedServices;
      c.servicesHandler = Informers.onAnyChange(onChange);
      sharedServices.addEventHandler(c.servicesHandler);
    } else {
      c.services = client.services().inAnyNamespace().inform(Informers.onAnyChange(onChange));
    }
    try {
      List<SharedIndexInformer<?>> informers = new ArrayList<>(List.of(c.routes, c.services));
      if (c.grpcRoutes != null) {
        informers.add(c.grpcRoutes);
      }
      Informers.awaitSynced(informers, syncTimeout, "route status informers");
    } catch (TimeoutException | InterruptedException e) {
      c.close();
      throw e;
    }
    c.schedule(Duration.ZERO);
    return c;
  }

  /**
   * Also report, as {@code PartiallyInvalid}, what the waypoints' translation of each route leaves
   * out, judged against this mesh.
   */
  public void reportTranslationProblems(Supplier<MeshState> mesh, String clusterDomain) {
    this.clusterDomain = clusterDomain;
    this.mesh = mesh;
    schedule(COALESCE);
  }

  private static boolean crdServed(KubernetesClient client, String name) {
    try {
      return client.apiextensions().v1().customResourceDefinitions().withName(name).get() != null;
    } catch (KubernetesClientException e) {
      log.warn("cannot check for CRD {}: {}", name, e.getMessage());
      return false;
    }
  }

  /** The HTTPRoutes as the informer holds them. */
  public List<HTTPRoute> routes() {
    return routes.getStore().list();
  }

  /** The GRPCRoutes as the informer holds them (none when the cluster does not serve them). */
  public List<GRPCRoute> grpcRoutes() {
    return grpcRoutes == null ? List.of() : grpcRoutes.getStore().list();
  }

  /**
   * Calls {@code onChange} after any HTTPRoute or GRPCRoute event (for other controllers following
   * routes).
   */
  public void onRouteChange(Runnable onChange) {
    routes.addEventHandler(Informers.onAnyChange(onChange));
    if (grpcRoutes != null) {
      grpcRoutes.addEventHandler(Informers.onAnyChange(onChange));
    }
  }

  /** Something the status depends on changed (the mesh): a pass follows shortly. */
  public void poke() {
    schedule(COALESCE);
  }

  private void schedule(Duration delay) {
    passes.schedule(delay);
  }

  private void pass() {
    boolean retry = false;
    Instant now = Instant.now();
    Map<String, List<RouteProblem>> problems = new HashMap<>();
    RouteTables.Result translated = null;
    List<HTTPRoute> httpRoutes = routes.getStore().list();
    List<GRPCRoute> grpc = grpcRoutes();
    if (mesh != null) {
      try {
        translated = RouteTables.translate(httpRoutes, grpc, mesh.get(), clusterDomain);
        for (RouteProblem p : translated.problems()) {
          problems.computeIfAbsent(p.kind() + " " + p.route(), k -> new ArrayList<>()).add(p);
        }
      } catch (RuntimeException e) {
        log.warn("route problems not computed this pass: {}", e.toString());
      }
    }
    RouteTables.Result result = translated;
    for (HTTPRoute route : httpRoutes) {
      if (!hasServiceParent(
          route.getSpec() == null ? null : route.getSpec().getParentRefs(),
          route.getStatus() == null ? null : route.getStatus().getParents())) {
        continue;
      }
      String name = key(route);
      List<RouteParentStatus> desired =
          MeshRouteStatus.parents(
              route,
              key -> services.getStore().getByKey(key),
              problems.getOrDefault(RouteProblem.HTTP_ROUTE + " " + name, List.of()),
              parent -> result != null && result.conflicted(name, parent),
              now);
      List<RouteParentStatus> current =
          route.getStatus() == null || route.getStatus().getParents() == null
              ? List.of()
              : route.getStatus().getParents();
      if (desired.equals(current)) {
        continue;
      }
      retry |= !write(route, desired);
    }
    for (GRPCRoute route : grpc) {
      if (!hasServiceParent(
          route.getSpec() == null ? null : route.getSpec().getParentRefs(),
          route.getStatus() == null ? null : route.getStatus().getParents())) {
        continue;
      }
      List<RouteParentStatus> desired =
          MeshRouteStatus.parents(
              route,
              key -> services.getStore().getByKey(key),
              problems.getOrDefault(RouteProblem.GRPC_ROUTE + " " + key(route), List.of()),
              now);
      List<RouteParentStatus> current =
          route.getStatus() == null || route.getStatus().getParents() == null
              ? List.of()
              : route.getStatus().getParents();
      if (desired.equals(current)) {
        continue;
      }
      retry |= !write(route, desired);
    }
    if (retry) {
      schedule(RETRY);
    }
  }

  private static String key(HasMetadata route) {
    return route.getMetadata().getNamespace() + "/" + route.getMetadata().getName();
  }

  private static boolean hasServiceParent(
      List<io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference> parentRefs,
      List<RouteParentStatus> status) {
    if (parentRefs != null) {
      for (var ref : parentRefs) {
        if (MeshRouteStatus.isServiceRef(ref.getGroup(), ref.getKind())) {
          return true;
        }
      }
    }
    // A route that lost its Service parents still carries our entries until we remove them.
    return status != null
        && status.stream()
            .anyMatch(p -> MeshRouteStatus.CONTROLLER_NAME.equals(p.getControllerName()));
  }

  private boolean write(HTTPRoute route, List<RouteParentStatus> parents) {
    HTTPRoute copy = client.getKubernetesSerialization().clone(route);
    if (copy.getStatus() == null) {
      copy.setStatus(new HTTPRouteStatus());
    }
    copy.getStatus().setParents(parents);
    return update(copy, parents);
  }

  private boolean write(GRPCRoute route, List<RouteParentStatus> parents) {
    GRPCRoute copy = client.getKubernetesSerialization().clone(route);
    if (copy.getStatus() == null) {
      copy.setStatus(new GRPCRouteStatus());
    }
    copy.getStatus().setParents(parents);
    return update(copy, parents);
  }

  private boolean update(HasMetadata copy, List<RouteParentStatus> parents) {
    String name = copy.getKind() + " " + key(copy);
    try {
      client.resource(copy).updateStatus();
      log.info("{} status: {}", name, summary(parents));
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return true; // deleted meanwhile
      }
      log.warn("{} status not written ({}), retrying", name, e.getMessage());
      return false;
    }
  }

  private static String summary(List<RouteParentStatus> parents) {
    StringBuilder b = new StringBuilder();
    for (RouteParentStatus p : parents) {
      if (!MeshRouteStatus.CONTROLLER_NAME.equals(p.getControllerName())) {
        continue;
      }
      b.append(p.getParentRef().getName());
      if (p.getParentRef().getPort() != null) {
        b.append(':').append(p.getParentRef().getPort());
      }
      for (var c : p.getConditions()) {
        b.append(' ')
            .append(c.getType())
            .append('=')
            .append(c.getStatus())
            .append('/')
            .append(c.getReason());
      }
      b.append("; ");
    }
    return b.toString();
  }

  @Override
  public void close() {
    if (routes != null) {
      routes.close();
    }
    if (grpcRoutes != null) {
      grpcRoutes.close();
    }
    if (servicesHandler != null) {
      services.removeEventHandler(servicesHandler);
    } else if (services != null) {
      services.close();
    }
    passes.close();
  }
}
