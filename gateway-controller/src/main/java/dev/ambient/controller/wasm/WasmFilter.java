package dev.ambient.controller.wasm;

import java.util.Comparator;
import java.util.Objects;

/**
 * One WasmPlugin as a waypoint runs it, independent of Envoy.
 *
 * @param plugin {@code <namespace>/<name>} of the WasmPlugin
 * @param pluginName the root id the module registers under ({@code spec.pluginName}; may be empty)
 * @param failOpen {@code failStrategy: FAIL_OPEN}
 * @param configuration the plugin configuration handed to {@code proxy_on_configure} (JSON)
 * @param module the verified module, or null when it could not be had and the plugin fails closed:
 *     the waypoint then answers its traffic with 503 instead of running it
 */
public record WasmFilter(
    String plugin,
    WasmPhase phase,
    int priority,
    String pluginName,
    boolean failOpen,
    String configuration,
    WasmModule module) {
  /** Istio's order within a phase: higher priority first, then by namespace/name. */
  public static final Comparator<WasmFilter> ORDER =
      Comparator.comparing(WasmFilter::phase)
          .thenComparing(Comparator.comparingInt(WasmFilter::priority).reversed())
          .thenComparing(WasmFilter::plugin);

  public WasmFilter {
    Objects.requireNonNull(plugin, "plugin");
    Objects.requireNonNull(phase, "phase");
    pluginName = pluginName == null ? "" : pluginName;
    configuration = configuration == null ? "" : configuration;
  }

  /** Whether this entry stands for a plugin that could not be loaded (fail closed). */
  public boolean failedClosed() {
    return module == null;
  }

  /**
   * The name Envoy knows the plugin by (stats {@code wasm.<name>.*}, log lines): {@code ns.name}.
   */
  public String envoyName() {
    return plugin.replace('/', '.');
  }
}
