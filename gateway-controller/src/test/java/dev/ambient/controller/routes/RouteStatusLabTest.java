package dev.ambient.controller.routes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.lab.LabCluster;
import dev.ambient.lab.LabClusterExtension;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** HTTPRoute status for Service parents, written to the lab cluster's real API server. */
@Tag("root")
@Tag("lab")
@ExtendWith(LabClusterExtension.class)
class RouteStatusLabTest {
  private static final String OURS =
      "{.status.parents[?(@.controllerName==\"" + MeshRouteStatus.CONTROLLER_NAME + "\")]";
  private static LabCluster lab;

  @BeforeAll
  static void setUp(LabCluster cluster) throws Exception {
    lab = cluster;
    lab.mesh(Duration.ofMinutes(5), "crds").orThrow("mesh lab crds");
    lab.k("wait", "--for=condition=Established", "crd/httproutes.gateway.networking.k8s.io");
  }

  /** One field of an HTTPRoute in the test namespace, by JSONPath. */
  private static String routeField(String route, String jsonPath) throws Exception {
    return lab.k("-n", "routes", "get", "httproute", route, "-o", "jsonpath=" + jsonPath);
  }

  private static String condition(String route, String type, String field) throws Exception {
    return routeField(route, OURS + ".conditions[?(@.type==\"" + type + "\")]." + field + "}");
  }

  @Test
  void serviceParentsGetAcceptedAndResolvedRefsAndFollowChanges() throws Exception {
    String manifest;
    try (InputStream in = getClass().getResourceAsStream("/routes/routes.yaml")) {
      manifest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    lab.kubectlWithInput(manifest, "apply", "-f", "-").orThrow("kubectl apply");
    // Another implementation's entry, there before we start: it must survive our writes.
    lab.k(
        "-n",
        "routes",
        "patch",
        "httproute",
        "good",
        "--subresource=status",
        "--type=merge",
        "-p",
        "{\"status\":{\"parents\":[{\"controllerName\":\"example.com/other\",\"parentRef\":{\"name\":\"gw\"},"
            + "\"conditions\":[{\"type\":\"Accepted\",\"status\":\"True\",\"reason\":\"Accepted\","
            + "\"message\":\"theirs\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}]}}");

    Config config = Config.fromKubeconfig(Files.readString(LabCluster.ADMIN_KUBECONFIG));
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        RouteStatusController controller =
            RouteStatusController.start(client, Duration.ofSeconds(60))) {
      assertThat(controller).isNotNull();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(condition("good", "Accepted", "reason")).isEqualTo("Accepted");
                assertThat(condition("good", "ResolvedRefs", "reason")).isEqualTo("ResolvedRefs");
                assertThat(condition("wrong-port", "Accepted", "reason"))
                    .isEqualTo("NoMatchingParent");
                assertThat(condition("no-parent", "Accepted", "reason"))
                    .isEqualTo("NoMatchingParent");
                assertThat(condition("no-backend", "Accepted", "status")).isEqualTo("True");
                assertThat(condition("no-backend", "ResolvedRefs", "reason"))
                    .isEqualTo("BackendNotFound");
              });
      assertThat(
              routeField(
                  "good",
                  "{.status.parents[?(@.controllerName==\"example.com/other\")].conditions[0].message}"))
          .isEqualTo("theirs");
      assertThat(routeField("good", OURS + ".parentRef}"))
          .contains("\"kind\":\"Service\"")
          .contains("\"port\":80");

      // Converged: no further writes (the resourceVersion stays put).
      String version = routeField("good", "{.metadata.resourceVersion}");
      Thread.sleep(2000);
      assertThat(routeField("good", "{.metadata.resourceVersion}")).isEqualTo(version);

      // Level-triggered on Services and routes: the missing parent appears; a spec edit bumps
      // the generation the status reports.
      lab.k("-n", "routes", "create", "service", "clusterip", "later", "--tcp=80:8080");
      lab.k(
          "-n",
          "routes",
          "patch",
          "httproute",
          "good",
          "--type=merge",
          "-p",
          "{\"spec\":{\"rules\":[{\"matches\":[{\"path\":{\"type\":\"PathPrefix\",\"value\":\"/v1\"}}],"
              + "\"backendRefs\":[{\"name\":\"echo-v1\",\"port\":8080}]}]}}");
      String generation = routeField("good", "{.metadata.generation}");
      assertThat(generation).isEqualTo("2");
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(condition("no-parent", "Accepted", "reason")).isEqualTo("Accepted");
                assertThat(condition("good", "Accepted", "observedGeneration"))
                    .isEqualTo(generation);
              });
    }
  }
}
