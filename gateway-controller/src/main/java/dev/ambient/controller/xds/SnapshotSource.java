package dev.ambient.controller.xds;

import dev.ambient.api.model.MeshState;
import java.util.function.Consumer;

/**
 * Where the controller's view of the mesh comes from: an immutable, versioned {@link MeshState}
 * (the mesh snapshot) that is only ever replaced whole. The local YAML file is the first source;
 * Kubernetes informers will be another.
 */
public interface SnapshotSource extends AutoCloseable {

  /** The last good snapshot. */
  MeshState current();

  /** Called with every newly applied snapshot, on the source's own thread. */
  void onChange(Consumer<MeshState> listener);

  @Override
  void close();
}
