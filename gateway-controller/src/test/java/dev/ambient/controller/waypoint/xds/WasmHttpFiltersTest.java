package dev.ambient.controller.waypoint.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.wasm.WasmFilter;
import dev.ambient.controller.wasm.WasmModule;
import dev.ambient.controller.wasm.WasmPhase;
import dev.ambient.controller.waypoint.Backend;
import dev.ambient.controller.waypoint.BackendRef;
import dev.ambient.controller.waypoint.RouteRule;
import dev.ambient.controller.waypoint.ServiceListener;
import dev.ambient.controller.waypoint.WaypointModel;
import dev.ambient.controller.waypoint.authz.L7Policy;
import dev.ambient.controller.waypoint.authz.WaypointPolicyTranslator;
import io.envoyproxy.envoy.extensions.filters.http.wasm.v3.Wasm;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.wasm.v3.FailurePolicy;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class WasmHttpFiltersTest {
  private static final WasmModule MODULE = WasmModule.of(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});

  private static WasmFilter wasm(String name, WasmPhase phase, boolean failOpen, WasmModule m) {
    return new WasmFilter("shop/" + name, phase, 0, "", failOpen, "{\"a\":1}", m);
  }

  @Test
  void pluginsSurroundRbacInIstiosOrderWithTheModuleInline() throws Exception {
    BackendRef echo = new BackendRef("shop/echo.shop.svc.cluster.local", 80);
    List<L7Policy> policies =
        WaypointPolicyTranslator.translate(
                List.of(
                    new KubernetesSerialization()
                        .unmarshal(
                            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
                                + "metadata: {namespace: shop, name: deny}\nspec:\n"
                                + "  targetRefs: [{kind: Service, group: '', name: echo}]\n"
                                + "  action: DENY\n  rules: [{to: [{operation: {paths: ['/x']}}]}]",
                            GenericKubernetesResource.class)),
                "shop",
                "waypoint",
                WaypointPolicyTranslator.Settings.DEFAULT)
            .forService(echo.service());
    assertThat(policies).isNotEmpty();
    List<WasmFilter> filters =
        List.of(
            wasm("authn", WasmPhase.AUTHN, false, MODULE),
            wasm("authz", WasmPhase.AUTHZ, false, null),
            wasm("stats", WasmPhase.STATS, true, MODULE));
    ServiceListener l =
        ServiceListener.http(
                InetAddress.getByName("10.1.0.1"), echo, List.of(RouteRule.toSelf(echo)))
            .withPolicies(policies)
            .withWasm(filters);
    WaypointModel model =
        new WaypointModel(
            "shop/waypoint",
            SpiffeId.of("cluster.local", "shop", "waypoint"),
            InetAddress.getByName("10.0.0.9"),
            List.of(l),
            List.of(new Backend(echo, List.of())));

    HttpConnectionManager hcm =
        MainInternalListener.build(model)
            .getFilterChains(0)
            .getFilters(0)
            .getTypedConfig()
            .unpack(HttpConnectionManager.class);
    List<String> names = hcm.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
    assertThat(names.get(0)).isEqualTo("envoy.filters.http.wasm/shop/authn");
    assertThat(names.get(1)).isEqualTo("envoy.filters.http.fault/shop/authz");
    assertThat(names.get(2)).contains("rbac");
    assertThat(names.get(names.size() - 2)).isEqualTo("envoy.filters.http.wasm/shop/stats");
    assertThat(names.get(names.size() - 1)).isEqualTo("envoy.filters.http.router");

    Wasm authn = hcm.getHttpFilters(0).getTypedConfig().unpack(Wasm.class);
    assertThat(authn.getConfig().getName()).isEqualTo("shop.authn");
    assertThat(authn.getConfig().getVmConfig().getRuntime()).isEqualTo("envoy.wasm.runtime.v8");
    assertThat(authn.getConfig().getVmConfig().getCode().getLocal().getInlineBytes().toByteArray())
        .isEqualTo(MODULE.bytes());
    assertThat(authn.getConfig().getFailurePolicy()).isEqualTo(FailurePolicy.FAIL_CLOSED);
    Wasm stats = hcm.getHttpFilters(names.size() - 2).getTypedConfig().unpack(Wasm.class);
    assertThat(stats.getConfig().getFailurePolicy()).isEqualTo(FailurePolicy.FAIL_OPEN);
  }

  @Test
  void nackMessagesNameThePlugin() {
    assertThat(
            WasmHttpFilters.pluginsNamedIn(
                "Error adding/updating listener(s) main_internal: Unable to create Wasm plugin"
                    + " shop.authz"))
        .containsExactly("shop.authz");
    assertThat(WasmHttpFilters.pluginsNamedIn("envoy.filters.http.wasm/shop/x: bad"))
        .containsExactly("shop.x");
    assertThat(WasmHttpFilters.pluginsNamedIn("cluster x: bad")).isEmpty();
  }
}
