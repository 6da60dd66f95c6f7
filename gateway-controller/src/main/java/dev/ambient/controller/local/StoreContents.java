package dev.ambient.controller.local;

import dev.ambient.controller.kube.ClusterObjects;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The store's objects sorted by kind: what the local mode hands to the same translation paths as
 * the cluster mode (the informers' caches there).
 */
public record StoreContents(
    List<Namespace> namespaces,
    List<Pod> pods,
    List<Service> services,
    List<Gateway> gateways,
    List<HTTPRoute> routes,
    List<GenericKubernetesResource> authorizationPolicies,
    List<GRPCRoute> grpcRoutes) {
  public StoreContents {
    namespaces = List.copyOf(namespaces);
    pods = List.copyOf(pods);
    services = List.copyOf(services);
    gateways = List.copyOf(gateways);
    routes = List.copyOf(routes);
    authorizationPolicies = List.copyOf(authorizationPolicies);
    grpcRoutes = List.copyOf(grpcRoutes);
  }

  public static final StoreContents EMPTY =
      new StoreContents(
          List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of());

  public static StoreContents of(Collection<StoreObject> objects) {
    List<Namespace> namespaces = new ArrayList<>();
    List<Pod> pods = new ArrayList<>();
    List<Service> services = new ArrayList<>();
    List<Gateway> gateways = new ArrayList<>();
    List<HTTPRoute> routes = new ArrayList<>();
    List<GenericKubernetesResource> policies = new ArrayList<>();
    List<GRPCRoute> grpcRoutes = new ArrayList<>();
    for (StoreObject o : objects) {
      switch (o.kind()) {
        case NAMESPACE -> namespaces.add((Namespace) o.object());
        case POD -> pods.add((Pod) o.object());
        case SERVICE -> services.add((Service) o.object());
        case GATEWAY -> gateways.add((Gateway) o.object());
        case HTTP_ROUTE -> routes.add((HTTPRoute) o.object());
        case GRPC_ROUTE -> grpcRoutes.add((GRPCRoute) o.object());
        case AUTHORIZATION_POLICY -> policies.add((GenericKubernetesResource) o.object());
      }
    }
    return new StoreContents(namespaces, pods, services, gateways, routes, policies, grpcRoutes);
  }

  /**
   * What KubeTranslator reads, with the waypoints' own Services and Pods added (in a cluster the
   * controller renders them as a Deployment and Service; locally they stand for the waypoint
   * processes).
   */
  public ClusterObjects clusterObjects(List<Pod> waypointPods, List<Service> waypointServices) {
    List<Pod> allPods = new ArrayList<>(pods);
    allPods.addAll(waypointPods);
    List<Service> allServices = new ArrayList<>(services);
    allServices.addAll(waypointServices);
    // The translation reads only a Gateway's metadata (its istio.io/waypoint-for label).
    List<GenericKubernetesResource> gatewayMetadata = new ArrayList<>();
    for (Gateway g : gateways) {
      GenericKubernetesResource r = new GenericKubernetesResource();
      r.setApiVersion("gateway.networking.k8s.io/v1");
      r.setKind("Gateway");
      r.setMetadata(g.getMetadata());
      gatewayMetadata.add(r);
    }
    return new ClusterObjects(
        namespaces, allPods, allServices, authorizationPolicies, gatewayMetadata, List.of());
  }
}
