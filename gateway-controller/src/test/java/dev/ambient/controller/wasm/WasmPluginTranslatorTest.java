package dev.ambient.controller.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.controller.gateway.WaypointGateway;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WasmPluginTranslatorTest {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();
  private static final WasmModule MODULE = WasmModule.of(TestModules.good());
  private static final WaypointGateway WP =
      new WaypointGateway("shop", "waypoint", "uid-1", "istio-waypoint", Map.of(), Map.of());
  private static final WaypointGateway OTHER =
      new WaypointGateway("shop", "other", "uid-2", "istio-waypoint", Map.of(), Map.of());
  private static final String CART = "shop/cart.shop.svc.cluster.local";

  /** Modules: "/ok.wasm" is good, anything else a sha256 mismatch. */
  private static final ModuleSource MODULES =
      (url, sha) ->
          url.equals("/ok.wasm")
              ? ModuleResolution.ok(MODULE)
              : ModuleResolution.failed("Sha256Mismatch", "spec.sha256: does not match");

  private static GenericKubernetesResource plugin(String name, String spec) {
    return YAML.unmarshal(
        "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\n"
            + "metadata: {namespace: shop, name: "
            + name
            + ", generation: 3}\nspec:\n"
            + spec,
        GenericKubernetesResource.class);
  }

  private static final String TO_WP =
      "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}]\n";

  private static WasmPlan translate(GenericKubernetesResource... plugins) {
    return WasmPluginTranslator.translate(
        List.of(plugins), List.of(WP, OTHER), MODULES, "cluster.local", s -> s.equals("shop/cart"));
  }

  @Test
  void aGatewayTargetRunsInThatWaypointOnlyWithItsFields() {
    WasmPlan plan =
        translate(
            plugin(
                "authz",
                TO_WP
                    + "  url: /ok.wasm\n  phase: AUTHZ\n  priority: 10\n  pluginName: root\n"
                    + "  failStrategy: FAIL_OPEN\n  pluginConfig: {policies: [], n: 2}\n"));

    List<WasmFilter> filters = plan.forWaypoint("shop/waypoint").forService("shop/x");
    assertThat(filters).hasSize(1);
    WasmFilter f = filters.get(0);
    assertThat(f.plugin()).isEqualTo("shop/authz");
    assertThat(f.phase()).isEqualTo(WasmPhase.AUTHZ);
    assertThat(f.priority()).isEqualTo(10);
    assertThat(f.pluginName()).isEqualTo("root");
    assertThat(f.failOpen()).isTrue();
    assertThat(f.configuration()).isEqualTo("{\"policies\":[],\"n\":2}");
    assertThat(f.module()).isEqualTo(MODULE);
    assertThat(plan.forWaypoint("shop/other").forService("shop/x")).isEmpty();

    PluginStatus s = plan.statuses().get("shop/authz");
    assertThat(s.accepted()).isTrue();
    assertThat(s.generation()).isEqualTo(3L);
    assertThat(s.message()).contains(MODULE.sha256()).contains("waypoint shop/waypoint");
  }

  @Test
  void orderIsPhaseThenPriorityThenName() {
    WasmPlan plan =
        translate(
            plugin("stats", TO_WP + "  url: /ok.wasm\n  phase: STATS\n"),
            plugin("last", TO_WP + "  url: /ok.wasm\n"),
            plugin("b-authz", TO_WP + "  url: /ok.wasm\n  phase: AUTHZ\n  priority: 5\n"),
            plugin("a-authz", TO_WP + "  url: /ok.wasm\n  phase: AUTHZ\n  priority: 5\n"),
            plugin("high-authz", TO_WP + "  url: /ok.wasm\n  phase: AUTHZ\n  priority: 100\n"),
            plugin("authn", TO_WP + "  url: /ok.wasm\n  phase: AUTHN\n  priority: -7\n"),
            plugin(
                "svc",
                "  targetRefs: [{kind: Service, group: '', name: cart}]\n"
                    + "  url: /ok.wasm\n  phase: AUTHZ\n  priority: 50\n"));

    assertThat(plan.forWaypoint("shop/waypoint").forService(CART))
        .extracting(WasmFilter::plugin)
        .containsExactly(
            "shop/authn",
            "shop/high-authz",
            "shop/svc",
            "shop/a-authz",
            "shop/b-authz",
            "shop/stats",
            "shop/last");
    assertThat(plan.forWaypoint("shop/waypoint").forService("shop/other.shop.svc.cluster.local"))
        .extracting(WasmFilter::plugin)
        .doesNotContain("shop/svc");
    assertThat(plan.forWaypoint("shop/other").forService(CART))
        .extracting(WasmFilter::plugin)
        .containsExactly("shop/svc");
  }

  @Test
  void unknownTargetsSelectorsAndMissingTargetsAreNotApplied() {
    WasmPlan plan =
        translate(
            plugin(
                "gw",
                "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: nope}]\n"
                    + "  url: /ok.wasm\n"),
            plugin("svc", "  targetRefs: [{kind: Service, name: nope}]\n  url: /ok.wasm\n"),
            plugin("sel", "  selector: {matchLabels: {app: x}}\n  url: /ok.wasm\n"),
            plugin("none", "  url: /ok.wasm\n"),
            plugin("pod", "  targetRefs: [{kind: Pod, name: x}]\n  url: /ok.wasm\n"));

    assertThat(plan.byWaypoint()).isEmpty();
    assertThat(plan.byService()).isEmpty();
    assertThat(plan.statuses().get("shop/gw").reason()).isEqualTo("TargetNotFound");
    assertThat(plan.statuses().get("shop/gw").message())
        .contains("spec.targetRefs[0]")
        .contains("shop/nope");
    assertThat(plan.statuses().get("shop/svc").reason()).isEqualTo("TargetNotFound");
    assertThat(plan.statuses().get("shop/sel").reason()).isEqualTo("SelectorNotSupported");
    assertThat(plan.statuses().get("shop/sel").message()).contains("spec.selector");
    assertThat(plan.statuses().get("shop/none").reason()).isEqualTo("NoTarget");
    assertThat(plan.statuses().get("shop/pod").reason()).isEqualTo("InvalidTargetRef");
    assertThat(plan.statuses().values()).noneMatch(PluginStatus::accepted);
  }

  @Test
  void aBadModuleFailsClosedByDefaultAndIsLeftOutWhenFailOpen() {
    WasmPlan plan =
        translate(
            plugin("closed", TO_WP + "  url: /bad.wasm\n  phase: AUTHZ\n"),
            plugin("open", TO_WP + "  url: /bad.wasm\n  failStrategy: FAIL_OPEN\n"),
            plugin("good", TO_WP + "  url: /ok.wasm\n"));

    List<WasmFilter> filters = plan.forWaypoint("shop/waypoint").forService("shop/x");
    assertThat(filters).extracting(WasmFilter::plugin).containsExactly("shop/closed", "shop/good");
    assertThat(filters.get(0).failedClosed()).isTrue();
    assertThat(filters.get(1).failedClosed()).isFalse();
    PluginStatus closed = plan.statuses().get("shop/closed");
    assertThat(closed.accepted()).isFalse();
    assertThat(closed.reason()).isEqualTo("Sha256Mismatch");
    assertThat(closed.message()).contains("spec.sha256").contains("503");
    assertThat(plan.statuses().get("shop/open").message()).contains("left out (FAIL_OPEN)");
    assertThat(plan.statuses().get("shop/good").accepted()).isTrue();
  }

  @Test
  void badFieldsNameTheField() {
    WasmPlan plan =
        translate(
            plugin("cfg", TO_WP + "  url: /ok.wasm\n  pluginConfig: [1, 2]\n"),
            plugin("phase", TO_WP + "  url: /ok.wasm\n  phase: LATE\n"),
            plugin("prio", TO_WP + "  url: /ok.wasm\n  priority: 1.5\n"),
            plugin("fs", TO_WP + "  url: /ok.wasm\n  failStrategy: MAYBE\n"),
            plugin("type", TO_WP + "  url: /ok.wasm\n  type: NETWORK\n"),
            plugin("unknown", TO_WP + "  url: /ok.wasm\n  color: red\n"),
            plugin("url", TO_WP + "  url: 7\n"));

    assertThat(plan.statuses().get("shop/cfg").reason()).isEqualTo("InvalidPluginConfig");
    assertThat(plan.statuses().get("shop/cfg").message()).contains("spec.pluginConfig");
    assertThat(plan.statuses().get("shop/phase").reason()).isEqualTo("InvalidPhase");
    assertThat(plan.statuses().get("shop/prio").reason()).isEqualTo("InvalidPriority");
    assertThat(plan.statuses().get("shop/fs").reason()).isEqualTo("InvalidFailStrategy");
    assertThat(plan.statuses().get("shop/type").message()).contains("spec.type");
    assertThat(plan.statuses().get("shop/unknown").message()).contains("spec.color");
    assertThat(plan.statuses().get("shop/url").reason()).isEqualTo("InvalidUrl");
    // All fail closed (the default): each stands in as a 503 for the waypoint's traffic.
    assertThat(plan.forWaypoint("shop/waypoint").forService("shop/x"))
        .hasSize(7)
        .allMatch(WasmFilter::failedClosed);
  }

  @Test
  void statusIsWrittenOnlyWhenItChanges() {
    GenericKubernetesResource p = plugin("good", TO_WP + "  url: /ok.wasm\n");
    PluginStatus verdict = translate(p).statuses().get("shop/good");
    var first =
        WasmPluginStatus.desired(p, verdict, java.time.Instant.parse("2026-01-01T00:00:00Z"));
    assertThat(WasmPluginStatus.same(p, first)).isFalse();
    // As the API server returns it: JSON numbers come back as Integer.
    GenericKubernetesResource stored =
        YAML.unmarshal(YAML.asJson(withStatus(p, first)), GenericKubernetesResource.class);
    var later =
        WasmPluginStatus.desired(stored, verdict, java.time.Instant.parse("2026-01-02T00:00:00Z"));
    assertThat(WasmPluginStatus.same(stored, later)).isTrue();
    @SuppressWarnings("unchecked")
    var cond = (Map<String, Object>) ((List<?>) later.get("conditions")).get(0);
    assertThat(cond).containsEntry("type", "Accepted").containsEntry("status", "True");
    assertThat(cond.get("lastTransitionTime")).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(later.get("observedGeneration")).isEqualTo(3L);
  }

  private static GenericKubernetesResource withStatus(
      GenericKubernetesResource p, Map<String, Object> status) {
    GenericKubernetesResource copy = YAML.clone(p);
    copy.getAdditionalProperties().put("status", status);
    return copy;
  }
}
