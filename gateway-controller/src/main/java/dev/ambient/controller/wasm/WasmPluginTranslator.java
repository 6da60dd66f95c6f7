package dev.ambient.controller.wasm;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.ambient.controller.gateway.WaypointGateway;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Istio {@code WasmPlugin}s ({@code extensions.istio.io/v1alpha1}) to the HTTP filters of the
 * waypoints: pure, given where modules come from.
 *
 * <p>Attachment (Istio's for waypoints): a {@code targetRefs} entry naming, in the plugin's
 * namespace, a waypoint Gateway runs the plugin for all that waypoint's traffic; one naming a core
 * Service runs it in whichever waypoint serves that Service, for that Service's traffic only. A
 * plugin with only a {@code selector} (or no target) selects workloads, never waypoints: it is not
 * applied and its status says so.
 *
 * <p>Failure: a plugin whose module or fields are bad is not run. With {@code failStrategy:
 * FAIL_OPEN} it is left out; with {@code FAIL_CLOSE} (the default, also when the fail strategy
 * itself is unreadable) its targets answer 503 in its place, as Istio fails such a plugin closed.
 * Other plugins and the routes are unaffected.
 */
public final class WasmPluginTranslator {
  private static final Gson JSON = new GsonBuilder().disableHtmlEscaping().create();
  private static final String GATEWAY_GROUP = "gateway.networking.k8s.io";
  private static final Set<String> FIELDS =
      Set.of(
          "url",
          "sha256",
          "phase",
          "priority",
          "pluginConfig",
          "pluginName",
          "failStrategy",
          "targetRefs",
          "targetRef",
          "selector",
          "imagePullPolicy",
          "imagePullSecret",
          "type",
          "match",
          "vmConfig");

  private WasmPluginTranslator() {}

  /**
   * @param serviceExists whether Service {@code <namespace>/<name>} exists
   */
  public static WasmPlan translate(
      List<GenericKubernetesResource> plugins,
      List<WaypointGateway> gateways,
      ModuleSource modules,
      String clusterDomain,
      Predicate<String> serviceExists) {
    return translate(plugins, gateways, modules, clusterDomain, serviceExists, Map.of());
  }

  /**
   * As {@link #translate(List, List, ModuleSource, String, Predicate)}; a plugin Envoy refused
   * ({@code rejected}, by {@code <namespace>/<name>}) is handled as failed for as long as it is the
   * same plugin and module: left out (FAIL_OPEN) or answered 503 in its place (FAIL_CLOSE), so the
   * rest of the waypoint's configuration is accepted again and keeps following changes.
   */
  public static WasmPlan translate(
      List<GenericKubernetesResource> plugins,
      List<WaypointGateway> gateways,
      ModuleSource modules,
      String clusterDomain,
      Predicate<String> serviceExists,
      Map<String, EnvoyRejection> rejected) {
    Map<String, List<WasmFilter>> byWaypoint = new HashMap<>();
    Map<String, List<WasmFilter>> byService = new HashMap<>();
    Map<String, PluginStatus> statuses = new LinkedHashMap<>();
    List<GenericKubernetesResource> sorted = new ArrayList<>(plugins);
    sorted.sort(Comparator.comparing(WasmPluginTranslator::key));
    for (GenericKubernetesResource p : sorted) {
      One one = new One(p, gateways, serviceExists, clusterDomain);
      one.translate(modules, rejected.get(key(p)));
      statuses.put(one.key, one.status());
      if (one.filter == null) {
        continue;
      }
      for (String node : one.waypoints) {
        byWaypoint.computeIfAbsent(node, k -> new ArrayList<>()).add(one.filter);
      }
      for (String service : one.services) {
        byService.computeIfAbsent(service, k -> new ArrayList<>()).add(one.filter);
      }
    }
    byWaypoint.values().forEach(l -> l.sort(WasmFilter.ORDER));
    byService.values().forEach(l -> l.sort(WasmFilter.ORDER));
    return new WasmPlan(byWaypoint, byService, statuses);
  }

  static String key(GenericKubernetesResource p) {
    return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
  }

  /** One plugin's translation: its targets, its filter (or fail-closed stand-in), its verdict. */
  private static final class One {
    final String key;
    final String namespace;
    final Long generation;
    final Object rawSpec;
    final List<WaypointGateway> gateways;
    final Predicate<String> serviceExists;
    final String clusterDomain;
    final Set<String> waypoints = new TreeSet<>();
    final Set<String> services = new TreeSet<>();
    String reason;
    String message;
    String acceptedMessage;
    WasmFilter filter;

    One(
        GenericKubernetesResource p,
        List<WaypointGateway> gateways,
        Predicate<String> serviceExists,
        String clusterDomain) {
      this.key = key(p);
      this.namespace = p.getMetadata().getNamespace();
      this.generation = p.getMetadata().getGeneration();
      this.rawSpec = p.getAdditionalProperties().get("spec");
      this.gateways = gateways;
      this.serviceExists = serviceExists;
      this.clusterDomain = clusterDomain;
    }

    /** Records the first problem (the status shows one reason). */
    void problem(String reason, String message) {
      if (this.reason == null) {
        this.reason = reason;
        this.message = message;
      }
    }

    PluginStatus status() {
      if (reason == null) {
        return new PluginStatus(key, generation, true, "Accepted", acceptedMessage);
      }
      String effect;
      if (waypoints.isEmpty() && services.isEmpty()) {
        effect = "not applied to any waypoint";
      } else if (filter == null) {
        effect = "left out (FAIL_OPEN)";
      } else if (filter.failedClosed()) {
        effect = "its targets answer 503 in its place (FAIL_CLOSE)";
      } else {
        effect = "applied to the targets that resolved";
      }
      return new PluginStatus(
          key, generation, false, reason, "WasmPlugin " + key + ": " + message + "; " + effect);
    }

    @SuppressWarnings("unchecked")
    void translate(ModuleSource modules, EnvoyRejection rejection) {
      if (!(rawSpec instanceof Map)) {
        problem("InvalidSpec", "spec: required object");
        return;
      }
      Map<String, Object> spec = (Map<String, Object>) rawSpec;
      targets(spec);
      if (waypoints.isEmpty() && services.isEmpty()) {
        return;
      }
      boolean failOpen = false;
      Object fs = spec.get("failStrategy");
      if ("FAIL_OPEN".equals(fs)) {
        failOpen = true;
      } else if (fs != null && !"FAIL_CLOSE".equals(fs)) {
        problem(
            "InvalidFailStrategy", "spec.failStrategy: " + fs + " is not FAIL_CLOSE or FAIL_OPEN");
      }
      WasmPhase phase = WasmPhase.AUTHN; // a plugin with an unreadable phase fails closed first
      try {
        phase = WasmPhase.parse(string(spec, "phase"));
      } catch (IllegalArgumentException e) {
        problem("InvalidPhase", e.getMessage());
      }
      int priority = 0;
      Object pr = spec.get("priority");
      if (pr instanceof Number && ((Number) pr).doubleValue() == ((Number) pr).intValue()) {
        priority = ((Number) pr).intValue();
      } else if (pr != null) {
        problem("InvalidPriority", "spec.priority: " + pr + " is not a 32-bit integer");
      }
      String pluginName = "";
      try {
        String n = string(spec, "pluginName");
        pluginName = n == null ? "" : n;
      } catch (IllegalArgumentException e) {
        problem("InvalidPluginName", e.getMessage());
      }
      String configuration = "";
      Object pc = spec.get("pluginConfig");
      if (pc instanceof Map) {
        configuration = JSON.toJson(pc);
      } else if (pc != null) {
        problem("InvalidPluginConfig", "spec.pluginConfig: expected a JSON object");
      }
      for (String field : spec.keySet()) {
        if (!FIELDS.contains(field)) {
          problem("UnsupportedField", "spec." + field + ": unknown field");
        }
      }
      if (spec.get("type") != null && !"HTTP".equals(spec.get("type"))) {
        problem("UnsupportedField", "spec.type: only HTTP plugins run in waypoints");
      }
      if (spec.get("match") != null) {
        problem("UnsupportedField", "spec.match: traffic selectors are not supported in waypoints");
      }
      if (spec.get("vmConfig") != null) {
        problem("UnsupportedField", "spec.vmConfig: VM environment variables are not supported");
      }
      WasmModule module = null;
      String url = null;
      String sha = null;
      try {
        url = string(spec, "url");
        sha = string(spec, "sha256");
      } catch (IllegalArgumentException e) {
        problem("InvalidUrl", e.getMessage());
      }
      boolean fieldsOk = reason == null;
      if (fieldsOk) {
        ModuleResolution r = modules.resolve(url, sha);
        if (r.isOk()) {
          module = r.module();
          acceptedMessage =
              "module sha256 "
                  + module.sha256()
                  + " ("
                  + module.size()
                  + " bytes) runs in "
                  + where();
        } else {
          problem(r.reason(), r.message());
        }
      }
      if (module != null
          && rejection != null
          && java.util.Objects.equals(rejection.generation(), generation)
          && module.sha256().equals(rejection.sha256())) {
        problem("RejectedByEnvoy", "Envoy refused to run it: " + rejection.message());
        module = null;
      }
      if (module != null) {
        filter = new WasmFilter(key, phase, priority, pluginName, failOpen, configuration, module);
      } else if (!failOpen) {
        filter = new WasmFilter(key, phase, priority, pluginName, false, configuration, null);
      }
    }

    private String where() {
      List<String> out = new ArrayList<>();
      waypoints.forEach(w -> out.add("waypoint " + w));
      services.forEach(s -> out.add("the waypoint of service " + s));
      return String.join(", ", out);
    }

    @SuppressWarnings("unchecked")
    private void targets(Map<String, Object> spec) {
      List<Object> refs = new ArrayList<>();
      List<String> paths = new ArrayList<>();
      if (spec.get("targetRef") != null) {
        refs.add(spec.get("targetRef"));
        paths.add("spec.targetRef");
      }
      Object list = spec.get("targetRefs");
      if (list instanceof List) {
        List<Object> l = (List<Object>) list;
        for (int i = 0; i < l.size(); i++) {
          refs.add(l.get(i));
          paths.add("spec.targetRefs[" + i + "]");
        }
      } else if (list != null) {
        problem("InvalidTargetRef", "spec.targetRefs: expected a list");
      }
      if (refs.isEmpty()) {
        if (spec.get("selector") != null) {
          problem(
              "SelectorNotSupported",
              "spec.selector: selects workloads (sidecars, gateways), not waypoints; use"
                  + " spec.targetRefs naming the waypoint Gateway or a Service");
        } else {
          problem(
              "NoTarget",
              "spec.targetRefs: required for waypoints (a waypoint Gateway or a Service)");
        }
        return;
      }
      for (int i = 0; i < refs.size(); i++) {
        target(refs.get(i), paths.get(i));
      }
    }

    @SuppressWarnings("unchecked")
    private void target(Object raw, String path) {
      if (!(raw instanceof Map)) {
        problem("InvalidTargetRef", path + ": expected an object");
        return;
      }
      Map<String, Object> ref = (Map<String, Object>) raw;
      Object group = ref.get("group");
      Object kind = ref.get("kind");
      Object name = ref.get("name");
      if (!(name instanceof String) || ((String) name).isEmpty()) {
        problem("InvalidTargetRef", path + ".name: required");
        return;
      }
      if (ref.get("namespace") != null && !namespace.equals(ref.get("namespace"))) {
        problem("InvalidTargetRef", path + ".namespace: must be the plugin's own namespace");
        return;
      }
      if ("Gateway".equals(kind) && GATEWAY_GROUP.equals(group)) {
        for (WaypointGateway gw : gateways) {
          if (gw.namespace().equals(namespace) && gw.name().equals(name)) {
            waypoints.add(gw.nodeId());
            return;
          }
        }
        problem(
            "TargetNotFound",
            path + ": Gateway " + namespace + "/" + name + " is not a waypoint of this mesh");
      } else if ("Service".equals(kind) && (group == null || "".equals(group))) {
        if (!serviceExists.test(namespace + "/" + name)) {
          problem("TargetNotFound", path + ": Service " + namespace + "/" + name + " not found");
          return;
        }
        services.add(namespace + "/" + name + "." + namespace + ".svc." + clusterDomain);
      } else {
        problem(
            "InvalidTargetRef",
            path
                + ": "
                + group
                + "/"
                + kind
                + " is not a target for waypoints (Gateway of group "
                + GATEWAY_GROUP
                + ", or core Service)");
      }
    }

    private static String string(Map<String, Object> spec, String field) {
      Object v = spec.get(field);
      if (v == null || v instanceof String) {
        return (String) v;
      }
      throw new IllegalArgumentException("spec." + field + ": expected a string");
    }
  }
}
