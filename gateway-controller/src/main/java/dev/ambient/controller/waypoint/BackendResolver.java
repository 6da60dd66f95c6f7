package dev.ambient.controller.waypoint;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.controller.routes.MeshRouteStatus;

/**
 * Resolves an HTTPRoute's backend or mirror reference to a service port of the mesh, or says
 * precisely why it does not resolve (Gateway API: such a backend's requests get 500).
 */
final class BackendResolver {
  private final MeshState state;
  private final String clusterDomain;

  BackendResolver(MeshState state, String clusterDomain) {
    this.state = state;
    this.clusterDomain = clusterDomain;
  }

  BackendRef resolve(
      String field,
      String group,
      String kind,
      String name,
      String namespace,
      Integer port,
      String routeNamespace)
      throws InvalidField {
    String k = kind == null ? "Service" : kind;
    if (!MeshRouteStatus.isServiceRef(group, k)) {
      throw new InvalidField(
          field,
          "kind "
              + (group == null || group.isEmpty() ? "" : group + "/")
              + k
              + " is not supported (only core Service)");
    }
    if (name == null || name.isEmpty()) {
      throw new InvalidField(field + ".name", "is required");
    }
    if (port == null) {
      throw new InvalidField(field + ".port", "is required for a Service");
    }
    String ns = namespace == null ? routeNamespace : namespace;
    String hostname = RouteTables.hostname(ns, name, clusterDomain);
    Service service = state.serviceByName(hostname);
    if (service == null) {
      throw new InvalidField(field, "Service " + ns + "/" + name + " not found");
    }
    if (service.port(port) == null) {
      throw new InvalidField(
          field + ".port", "Service " + ns + "/" + name + " has no port " + port);
    }
    return new BackendRef(hostname, port);
  }
}
