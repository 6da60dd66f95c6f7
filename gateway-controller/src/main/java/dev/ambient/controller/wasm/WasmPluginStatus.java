package dev.ambient.controller.wasm;

import dev.ambient.controller.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The status a WasmPlugin should carry (pure): an {@code Accepted} condition and {@code
 * observedGeneration}, Istio's {@code IstioStatus} shape, with the transition time kept while the
 * condition holds, so an unchanged verdict never causes a write.
 */
public final class WasmPluginStatus {
  private WasmPluginStatus() {}

  /** The desired status object, or null when {@code verdict} is null (not our plugin to judge). */
  public static Map<String, Object> desired(
      GenericKubernetesResource plugin, PluginStatus verdict, Instant now) {
    if (verdict == null) {
      return null;
    }
    Condition c =
        Conditions.of(
            "Accepted",
            verdict.accepted(),
            verdict.reason(),
            verdict.message(),
            verdict.generation());
    Conditions.keepTransitionTime(c, previous(plugin), now);
    Map<String, Object> cond = new LinkedHashMap<>();
    cond.put("type", c.getType());
    cond.put("status", c.getStatus());
    cond.put("reason", c.getReason());
    cond.put("message", c.getMessage());
    cond.put("lastTransitionTime", c.getLastTransitionTime());
    if (c.getObservedGeneration() != null) {
      cond.put("observedGeneration", c.getObservedGeneration());
    }
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("conditions", List.of(cond));
    if (verdict.generation() != null) {
      status.put("observedGeneration", verdict.generation());
    }
    return status;
  }

  /**
   * Whether the plugin's current status already says {@code desired} (numbers compared loosely).
   */
  public static boolean same(GenericKubernetesResource plugin, Map<String, Object> desired) {
    Object current = plugin.getAdditionalProperties().get("status");
    return java.util.Objects.equals(normalize(current), normalize(desired));
  }

  private static Object normalize(Object o) {
    if (o instanceof Map) {
      Map<String, Object> out = new LinkedHashMap<>();
      ((Map<?, ?>) o).forEach((k, v) -> out.put(String.valueOf(k), normalize(v)));
      return out;
    }
    if (o instanceof List) {
      List<Object> out = new ArrayList<>();
      for (Object e : (List<?>) o) {
        out.add(normalize(e));
      }
      return out;
    }
    if (o instanceof Number) {
      return ((Number) o).longValue();
    }
    return o;
  }

  @SuppressWarnings("unchecked")
  private static List<Condition> previous(GenericKubernetesResource plugin) {
    Object status = plugin.getAdditionalProperties().get("status");
    if (!(status instanceof Map)) {
      return List.of();
    }
    Object conditions = ((Map<String, Object>) status).get("conditions");
    if (!(conditions instanceof List)) {
      return List.of();
    }
    List<Condition> out = new ArrayList<>();
    for (Object o : (List<Object>) conditions) {
      if (o instanceof Map) {
        Map<String, Object> m = (Map<String, Object>) o;
        Condition c = new Condition();
        c.setType(String.valueOf(m.get("type")));
        c.setStatus(String.valueOf(m.get("status")));
        Object at = m.get("lastTransitionTime");
        c.setLastTransitionTime(at == null ? null : String.valueOf(at));
        out.add(c);
      }
    }
    return out;
  }
}
