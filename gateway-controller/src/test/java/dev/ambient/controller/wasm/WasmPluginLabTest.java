package dev.ambient.controller.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.controller.gateway.WaypointGateway;
import dev.ambient.lab.LabCluster;
import dev.ambient.lab.LabClusterExtension;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * WasmPlugin status against the lab's real API server: the informer sees applied plugins, each
 * plan's verdicts are written as an {@code Accepted} condition with {@code observedGeneration}, and
 * nothing is written once converged.
 */
@Tag("root")
@Tag("lab")
@ExtendWith(LabClusterExtension.class)
class WasmPluginLabTest {
  private static final String NS = "wasm-test";
  private static LabCluster lab;

  @BeforeAll
  static void setUp(LabCluster cluster) throws Exception {
    lab = cluster;
    lab.mesh(Duration.ofMinutes(5), "crds").orThrow("mesh lab crds");
    lab.k("wait", "--for=condition=Established", "crd/wasmplugins.extensions.istio.io");
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (lab != null) {
      lab.k("delete", "namespace", NS, "--ignore-not-found", "--wait=false");
    }
  }

  private static String condition(String plugin, String field) throws Exception {
    return lab.k(
        "-n",
        NS,
        "get",
        "wasmplugin",
        plugin,
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Accepted\")]." + field + "}");
  }

  @Test
  void verdictsBecomeStatusWrittenOnlyOnChange(@TempDir Path tmp) throws Exception {
    Path module = Files.write(tmp.resolve("m.wasm"), TestModules.good());
    String sha = WasmModules.sha256(TestModules.good());
    String target =
        "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}]\n";
    lab.kubectlWithInput(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: "
                + NS
                + "}\n---\n"
                + "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\n"
                + "metadata: {name: good, namespace: "
                + NS
                + "}\nspec:\n"
                + target
                + "  url: file://"
                + module
                + "\n  sha256: '"
                + sha
                + "'\n---\n"
                + "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\n"
                + "metadata: {name: bad, namespace: "
                + NS
                + "}\nspec:\n"
                + target
                + "  url: "
                + module
                + "\n  sha256: '"
                + "0".repeat(64)
                + "'\n",
            "apply",
            "-f",
            "-")
        .orThrow("apply plugins");

    WaypointGateway gw =
        new WaypointGateway(NS, "waypoint", "uid", "istio-waypoint", Map.of(), Map.of());
    WasmModules modules = new WasmModules();
    Config config = Config.fromKubeconfig(Files.readString(LabCluster.ADMIN_KUBECONFIG));
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        WasmPluginController controller =
            WasmPluginController.start(client, Duration.ofSeconds(60))) {
      assertThat(controller).isNotNull();
      Runnable fleetPass =
          () ->
              controller.publish(
                  WasmPluginTranslator.translate(
                      controller.plugins(), List.of(gw), modules, "cluster.local", s -> false));
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                fleetPass.run();
                assertThat(condition("good", "status")).isEqualTo("True");
                assertThat(condition("bad", "reason")).isEqualTo("Sha256Mismatch");
              });
      assertThat(condition("good", "message")).contains(sha);
      assertThat(condition("good", "observedGeneration")).isEqualTo("1");
      assertThat(condition("bad", "message")).contains("spec.sha256");
      assertThat(condition("bad", "status")).isEqualTo("False");

      String version =
          lab.k(
              "-n", NS, "get", "wasmplugin", "good", "-o", "jsonpath={.metadata.resourceVersion}");
      fleetPass.run();
      Thread.sleep(2000);
      assertThat(
              lab.k(
                  "-n",
                  NS,
                  "get",
                  "wasmplugin",
                  "good",
                  "-o",
                  "jsonpath={.metadata.resourceVersion}"))
          .as("converged: no write")
          .isEqualTo(version);
    }
  }
}
