package dev.ambient.api.model;

import dev.ambient.api.authz.AuthorizationPolicy;
import java.util.List;

/** Everything the data plane is told about the mesh, before indexing. */
public record MeshConfig(
    List<Workload> workloads, List<Service> services, List<AuthorizationPolicy> policies) {

  public static final MeshConfig EMPTY = new MeshConfig(List.of(), List.of(), List.of());

  public MeshConfig {
    workloads = List.copyOf(workloads);
    services = List.copyOf(services);
    policies = List.copyOf(policies);
  }
}
