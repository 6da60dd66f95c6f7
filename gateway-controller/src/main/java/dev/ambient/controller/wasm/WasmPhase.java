package dev.ambient.controller.wasm;

/**
 * Where in the waypoint's HTTP filter chain a plugin runs (Istio's {@code PluginPhase}): AUTHN and
 * AUTHZ before the RBAC filters, STATS after them, UNSPECIFIED last, right before the router.
 */
public enum WasmPhase {
  AUTHN,
  AUTHZ,
  STATS,
  UNSPECIFIED_PHASE;

  /** Whether the plugin runs before the waypoint's AuthorizationPolicy (RBAC) filters. */
  public boolean beforeRbac() {
    return this == AUTHN || this == AUTHZ;
  }

  /** The phase named by {@code spec.phase}; null (or absent) means unspecified. */
  static WasmPhase parse(String value) {
    if (value == null || value.isEmpty() || value.equals("UNSPECIFIED_PHASE")) {
      return UNSPECIFIED_PHASE;
    }
    for (WasmPhase p : values()) {
      if (p.name().equals(value)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "spec.phase: " + value + " is not one of AUTHN, AUTHZ, STATS, UNSPECIFIED_PHASE");
  }
}
