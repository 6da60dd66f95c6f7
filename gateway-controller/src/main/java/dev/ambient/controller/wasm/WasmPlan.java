package dev.ambient.controller.wasm;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The WasmPlugins translated for every waypoint at once.
 *
 * @param byWaypoint waypoint node id ({@code <ns>/<gateway>}) to the plugins targeting its Gateway
 * @param byService service resource name to the plugins targeting that Service (whichever waypoint
 *     serves it runs them for its traffic)
 * @param statuses per plugin ({@code <ns>/<name>}), what its status should say
 */
public record WasmPlan(
    Map<String, List<WasmFilter>> byWaypoint,
    Map<String, List<WasmFilter>> byService,
    Map<String, PluginStatus> statuses) {
  public static final WasmPlan NONE = new WasmPlan(Map.of(), Map.of(), Map.of());

  public WasmPlan {
    byWaypoint = copy(byWaypoint);
    byService = copy(byService);
    statuses = Map.copyOf(statuses);
  }

  private static Map<String, List<WasmFilter>> copy(Map<String, List<WasmFilter>> in) {
    Map<String, List<WasmFilter>> out = new TreeMap<>();
    in.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return Map.copyOf(out);
  }

  /** The sha256 of every module the plan runs. */
  public java.util.Set<String> modulesInUse() {
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (Map<String, List<WasmFilter>> m : List.of(byWaypoint, byService)) {
      m.values()
          .forEach(
              l ->
                  l.stream()
                      .filter(f -> !f.failedClosed())
                      .forEach(f -> out.add(f.module().sha256())));
    }
    return out;
  }

  /** The plugins one waypoint runs. */
  public WaypointWasm forWaypoint(String nodeId) {
    return new WaypointWasm(byWaypoint.getOrDefault(nodeId, List.of()), byService);
  }
}
