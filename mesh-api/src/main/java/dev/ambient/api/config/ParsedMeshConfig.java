package dev.ambient.api.config;

import dev.ambient.api.model.MeshConfig;
import java.util.List;

/**
 * A valid configuration plus what the loader wants the operator to know but is not an error, e.g.
 * an AUDIT policy skipped at L4 or an ALLOW rule that never matches because of L7 fields.
 */
public record ParsedMeshConfig(MeshConfig config, List<String> notes) {
  public ParsedMeshConfig {
    notes = List.copyOf(notes);
  }
}
