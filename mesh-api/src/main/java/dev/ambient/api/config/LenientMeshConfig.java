package dev.ambient.api.config;

import dev.ambient.api.model.MeshConfig;
import java.util.List;

/**
 * What a source of many independently owned objects (Kubernetes) gets from the loader: every valid
 * object, and a problem for each invalid one, which is left out. One team's broken policy must not
 * take the rest of the mesh's configuration down with it.
 */
public record LenientMeshConfig(MeshConfig config, List<String> problems, List<String> notes) {
  public LenientMeshConfig {
    problems = List.copyOf(problems);
    notes = List.copyOf(notes);
  }
}
