package dev.ambient.controller.ca;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A node may obtain an identity only while a workload with that identity runs on it (Istio's node
 * authorization): a compromised node proxy can then mint only its own pods' identities.
 */
public final class NodeAuthorizer {
  private final Supplier<MeshState> mesh;

  /**
   * @param mesh the CA's live view of the mesh, asked on every decision
   */
  public NodeAuthorizer(Supplier<MeshState> mesh) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
  }

  /** Empty if allowed, else why not. */
  public Optional<String> denial(String node, SpiffeId identity) {
    MeshState state = mesh.get();
    if (state == null) {
      return Optional.of("node " + node + " may not have " + identity + ": no mesh state loaded");
    }
    for (Workload w : state.workloads()) {
      if (w.node().equals(node) && w.identity().equals(identity)) {
        return Optional.empty();
      }
    }
    return Optional.of(
        "node " + node + " runs no workload with identity " + identity + "; certificate refused");
  }
}
