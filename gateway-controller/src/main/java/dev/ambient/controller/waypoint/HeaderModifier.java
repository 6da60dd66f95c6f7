package dev.ambient.controller.waypoint;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gateway API {@code RequestHeaderModifier}: {@code set} replaces (or adds), {@code add} appends,
 * {@code remove} drops. Map iteration order is kept so the Envoy config is deterministic.
 */
public record HeaderModifier(
    Map<String, String> set, Map<String, String> add, List<String> remove) {
  public static final HeaderModifier NONE = new HeaderModifier(Map.of(), Map.of(), List.of());

  public HeaderModifier {
    set = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(set));
    add = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(add));
    remove = List.copyOf(remove);
  }

  public boolean isEmpty() {
    return set.isEmpty() && add.isEmpty() && remove.isEmpty();
  }
}
