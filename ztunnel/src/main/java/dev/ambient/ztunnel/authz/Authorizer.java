package dev.ambient.ztunnel.authz;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;

/** L4 authorization of one connection to a local workload, with Istio's semantics. */
public interface Authorizer {
  Decision check(MeshState state, Workload destination, ConnectionContext connection);
}
