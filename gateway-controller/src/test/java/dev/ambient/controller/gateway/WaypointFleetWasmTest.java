package dev.ambient.controller.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.controller.wasm.ModuleResolution;
import dev.ambient.controller.wasm.WasmModule;
import dev.ambient.controller.wasm.WasmPlan;
import dev.ambient.controller.waypoint.ProtocolPolicy;
import dev.ambient.controller.waypoint.WaypointPublisher;
import dev.ambient.controller.waypoint.authz.WaypointPolicyTranslator;
import dev.ambient.controller.waypoint.xds.WaypointResources;
import dev.ambient.ztunnel.testing.TestMesh;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The fleet runs each waypoint's WasmPlugins and hands every pass's plan to the status writer. */
class WaypointFleetWasmTest {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();
  private static final WaypointGateway GW =
      new WaypointGateway("default", "waypoint", "uid", "istio-waypoint", Map.of(), Map.of());
  private static final WasmModule MODULE =
      WasmModule.of(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 42});

  private static GenericKubernetesResource plugin(String url) {
    return plugin(url, 1);
  }

  private static GenericKubernetesResource plugin(String url, int generation) {
    return YAML.unmarshal(
        "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\n"
            + "metadata: {namespace: default, name: p, generation: "
            + generation
            + "}\nspec:\n"
            + "  targetRefs: [{kind: Service, name: echo}]\n  failStrategy: FAIL_OPEN\n  url: "
            + url
            + "\n",
        GenericKubernetesResource.class);
  }

  private static MeshState mesh() throws Exception {
    Service wp =
        TestMesh.service(
            "waypoint", InetAddress.getByName("10.9.0.1"), 15008, 15008, LoadBalancing.ROUND_ROBIN);
    Service echo =
        TestMesh.service(
            "echo", InetAddress.getByName("10.9.0.2"), 80, 8080, LoadBalancing.ROUND_ROBIN);
    echo =
        new Service(
            echo.name(),
            echo.namespace(),
            echo.hostname(),
            echo.vips(),
            echo.ports(),
            echo.endpoints(),
            echo.loadBalancing(),
            GatewayAddress.ofHostname("default", "waypoint.default.svc.cluster.local"),
            echo.subjectAltNames());
    return TestMesh.state(List.of(), List.of(wp, echo));
  }

  private static List<String> httpFilters(WaypointResources r) throws Exception {
    for (Listener l : r.listeners()) {
      if (l.getName().equals("main_internal")) {
        return l
            .getFilterChains(0)
            .getFilters(0)
            .getTypedConfig()
            .unpack(HttpConnectionManager.class)
            .getHttpFiltersList()
            .stream()
            .map(HttpFilter::getName)
            .toList();
      }
    }
    throw new AssertionError("no main_internal listener");
  }

  @Test
  void pluginsReachTheWaypointAndTheirPlanTheStatusWriter() throws Exception {
    MeshState mesh = mesh();
    AtomicReference<List<GenericKubernetesResource>> plugins =
        new AtomicReference<>(List.of(plugin("/good.wasm")));
    List<WaypointResources> published = new ArrayList<>();
    List<WasmPlan> plans = new ArrayList<>();
    AtomicInteger resolutions = new AtomicInteger();
    WaypointFleet fleet =
        new WaypointFleet(
                new WaypointFleet.Publishers() {
                  @Override
                  public WaypointPublisher create(
                      WaypointGateway gateway, WaypointPublisher.Translation translation) {
                    return WaypointPublisher.forPods(
                        (node, resources) -> {
                          published.add(resources);
                          return "v" + published.size();
                        },
                        gateway.nodeId(),
                        translation,
                        Clock.systemUTC());
                  }

                  @Override
                  public void retire(WaypointGateway gateway) {}
                },
                new WaypointFleet.Inputs(
                    () -> mesh, List::of, List::of, () -> List.of(GW), plugins::get),
                WaypointPolicyTranslator.Settings.DEFAULT,
                ProtocolPolicy.ALL_HTTP)
            .withWasm(
                new WaypointFleet.WasmSettings(
                    (url, sha) -> {
                      resolutions.incrementAndGet();
                      return url.equals("/good.wasm")
                          ? ModuleResolution.ok(MODULE)
                          : ModuleResolution.failed("FetchFailed", "spec.url: gone");
                    },
                    plans::add));
    try {
      fleet.passNow();
      assertThat(published).hasSize(1);
      assertThat(httpFilters(published.get(0))).contains("envoy.filters.http.wasm/default/p");
      assertThat(plans.get(0).statuses().get("default/p").accepted()).isTrue();

      fleet.passNow();
      assertThat(published).as("an unchanged plugin publishes nothing new").hasSize(1);

      plugins.set(List.of(plugin("/gone.wasm")));
      fleet.passNow();
      assertThat(published).hasSize(2);
      assertThat(httpFilters(published.get(1)))
          .as("FAIL_OPEN: left out")
          .noneMatch(n -> n.contains("default/p"));
      assertThat(plans.get(2).statuses().get("default/p").reason()).isEqualTo("FetchFailed");

      // Envoy refuses the good module (a NACK naming the plugin): the plugin is handled as failed
      // until it changes, so the waypoint's configuration is accepted again without it.
      plugins.set(List.of(plugin("/good.wasm")));
      fleet.passNow();
      assertThat(httpFilters(published.get(published.size() - 1)))
          .contains("envoy.filters.http.wasm/default/p");
      fleet.pluginRejected("default.p", "Wasm plugin default.p: failed to start");
      fleet.passNow();
      WasmPlan rejected = plans.get(plans.size() - 1);
      assertThat(rejected.statuses().get("default/p").reason()).isEqualTo("RejectedByEnvoy");
      assertThat(rejected.statuses().get("default/p").message()).contains("failed to start");
      assertThat(httpFilters(published.get(published.size() - 1)))
          .as("FAIL_OPEN: left out while Envoy refuses it")
          .noneMatch(n -> n.contains("default/p"));

      plugins.set(List.of(plugin("/good.wasm", 2)));
      fleet.passNow();
      assertThat(plans.get(plans.size() - 1).statuses().get("default/p").accepted())
          .as("an edited plugin is tried again")
          .isTrue();
    } finally {
      fleet.close();
    }
  }
}
