package dev.ambient.controller.kube;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.List;

/**
 * The Kubernetes objects the mesh's configuration is made from, as the informers saw them at one
 * moment. Translation reads nothing else, so it is a pure function of this.
 *
 * @param gateways Gateway API Gateways (only their metadata is read: a waypoint's {@code
 *     istio.io/waypoint-for} label)
 * @param peerAuthentications Istio PeerAuthentications ({@link PeerAuthentications})
 * @param endpointSlices EndpointSlices: the endpoints of Services without a selector
 */
public record ClusterObjects(
    List<Namespace> namespaces,
    List<Pod> pods,
    List<Service> services,
    List<GenericKubernetesResource> authorizationPolicies,
    List<GenericKubernetesResource> gateways,
    List<GenericKubernetesResource> peerAuthentications,
    List<EndpointSlice> endpointSlices) {
  public ClusterObjects {
    namespaces = List.copyOf(namespaces);
    pods = List.copyOf(pods);
    services = List.copyOf(services);
    authorizationPolicies = List.copyOf(authorizationPolicies);
    gateways = List.copyOf(gateways);
    peerAuthentications = List.copyOf(peerAuthentications);
    endpointSlices = List.copyOf(endpointSlices);
  }

  /** Without EndpointSlices: Services without a selector have no endpoints. */
  public ClusterObjects(
      List<Namespace> namespaces,
      List<Pod> pods,
      List<Service> services,
      List<GenericKubernetesResource> authorizationPolicies,
      List<GenericKubernetesResource> gateways,
      List<GenericKubernetesResource> peerAuthentications) {
    this(
        namespaces,
        pods,
        services,
        authorizationPolicies,
        gateways,
        peerAuthentications,
        List.of());
  }

  /** Without Gateways (a cluster without the Gateway API): every waypoint is for services. */
  public ClusterObjects(
      List<Namespace> namespaces,
      List<Pod> pods,
      List<Service> services,
      List<GenericKubernetesResource> authorizationPolicies) {
    this(namespaces, pods, services, authorizationPolicies, List.of(), List.of(), List.of());
  }
}
