package dev.ambient.controller.wasm;

import dev.ambient.controller.waypoint.ServiceListener;
import dev.ambient.controller.waypoint.ServiceProtocol;
import dev.ambient.controller.waypoint.WaypointModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The WasmPlugins of one waypoint: those for all its traffic (targeting its Gateway) and those per
 * service (targeting a Service, keyed by the service's resource name {@code
 * <namespace>/<hostname>}).
 */
public record WaypointWasm(List<WasmFilter> waypoint, Map<String, List<WasmFilter>> byService) {
  public static final WaypointWasm NONE = new WaypointWasm(List.of(), Map.of());

  public WaypointWasm {
    waypoint = List.copyOf(waypoint);
    Map<String, List<WasmFilter>> copy = new TreeMap<>();
    byService.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    byService = Map.copyOf(copy);
  }

  /** Every plugin for a service's traffic through this waypoint, in filter-chain order. */
  public List<WasmFilter> forService(String serviceResourceName) {
    List<WasmFilter> out = new ArrayList<>(waypoint);
    out.addAll(byService.getOrDefault(serviceResourceName, List.of()));
    out.sort(WasmFilter.ORDER);
    return List.copyOf(out);
  }

  /** The model with each HTTP listener running its service's plugins. */
  public WaypointModel applyTo(WaypointModel model) {
    if (waypoint.isEmpty() && byService.isEmpty()) {
      return model;
    }
    List<ServiceListener> listeners = new ArrayList<>();
    for (ServiceListener l : model.listeners()) {
      listeners.add(
          l.protocol() != ServiceProtocol.TCP ? l.withWasm(forService(l.service().service())) : l);
    }
    return new WaypointModel(
        model.name(),
        model.identity(),
        model.address(),
        listeners,
        model.backends(),
        model.workloads());
  }
}
