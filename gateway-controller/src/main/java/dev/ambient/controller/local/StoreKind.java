package dev.ambient.controller.local;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The kinds the local object store holds: exactly those the cluster mode reads to build the mesh.
 * Anything else is refused by name, so a manifest written for a real cluster does not silently lose
 * a Deployment or a ConfigMap.
 */
public enum StoreKind {
  NAMESPACE("", "Namespace", Set.of("v1"), false, Namespace.class),
  POD("", "Pod", Set.of("v1"), true, Pod.class),
  SERVICE("", "Service", Set.of("v1"), true, Service.class),
  GATEWAY(
      "gateway.networking.k8s.io",
      "Gateway",
      Set.of("gateway.networking.k8s.io/v1"),
      true,
      Gateway.class),
  HTTP_ROUTE(
      "gateway.networking.k8s.io",
      "HTTPRoute",
      Set.of("gateway.networking.k8s.io/v1"),
      true,
      HTTPRoute.class),
  GRPC_ROUTE(
      "gateway.networking.k8s.io",
      "GRPCRoute",
      Set.of("gateway.networking.k8s.io/v1"),
      true,
      GRPCRoute.class),
  AUTHORIZATION_POLICY(
      "security.istio.io",
      "AuthorizationPolicy",
      Set.of("security.istio.io/v1", "security.istio.io/v1beta1"),
      true,
      GenericKubernetesResource.class);

  private final String group;
  private final String kind;
  private final Set<String> apiVersions;
  private final boolean namespaced;
  private final Class<? extends HasMetadata> type;

  StoreKind(
      String group,
      String kind,
      Set<String> apiVersions,
      boolean namespaced,
      Class<? extends HasMetadata> type) {
    this.group = group;
    this.kind = kind;
    this.apiVersions = apiVersions;
    this.namespaced = namespaced;
    this.type = type;
  }

  /** The kind for a document's {@code kind}, or null when the store does not hold it. */
  public static StoreKind of(String kind) {
    for (StoreKind k : values()) {
      if (k.kind.equals(kind)) {
        return k;
      }
    }
    return null;
  }

  /** The supported kinds, for error messages. */
  public static String supported() {
    List<String> names = new ArrayList<>();
    for (StoreKind k : values()) {
      names.add(k.kind);
    }
    return String.join(", ", names);
  }

  public String kind() {
    return kind;
  }

  public Set<String> apiVersions() {
    return apiVersions;
  }

  public boolean namespaced() {
    return namespaced;
  }

  public Class<? extends HasMetadata> type() {
    return type;
  }

  /** As kubectl names the resource in its output: {@code pod}, {@code httproute.<group>}. */
  public String resource() {
    String lower = kind.toLowerCase(java.util.Locale.ROOT);
    return group.isEmpty() ? lower : lower + "." + group;
  }

  /**
   * Whether {@code status} belongs to the controller (written back by it, never taken from apply).
   * A local Pod's status is the user's: it carries the pod's address, as the kubelet would.
   */
  public boolean controllerOwnsStatus() {
    return this == GATEWAY || this == HTTP_ROUTE || this == GRPC_ROUTE;
  }
}
