package dev.ambient.controller.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.lab.LabCluster;
import dev.ambient.lab.LabClusterExtension;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
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

/** Waypoint Gateways provisioned and reported on against the lab cluster's real API server. */
@Tag("root")
@Tag("lab")
@ExtendWith(LabClusterExtension.class)
class WaypointGatewayLabTest {
  private static LabCluster lab;

  @BeforeAll
  static void setUp(LabCluster cluster) throws Exception {
    lab = cluster;
    lab.mesh(Duration.ofMinutes(5), "crds").orThrow("mesh lab crds");
    lab.k("wait", "--for=condition=Established", "crd/gateways.gateway.networking.k8s.io");
  }

  private static String resource(String path) throws Exception {
    try (InputStream in = WaypointGatewayLabTest.class.getResourceAsStream(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String get(String kind, String name, String jsonPath) throws Exception {
    return lab.k("-n", "wp-test", "get", kind, name, "-o", "jsonpath=" + jsonPath);
  }

  private static String gatewayCondition(String gw, String type, String field) throws Exception {
    return get("gateway", gw, "{.status.conditions[?(@.type==\"" + type + "\")]." + field + "}");
  }

  private static boolean exists(String kind, String name) throws Exception {
    return !lab.k("-n", "wp-test", "get", kind, "--ignore-not-found", "-o", "name", name).isBlank();
  }

  @Test
  void aWaypointGatewayBecomesADeploymentAndServiceWithStatusAndGoesAwayWhenInvalid()
      throws Exception {
    lab.kubectlWithInput(resource("/deploy/50-waypoint-classes.yaml"), "apply", "-f", "-")
        .orThrow("apply classes");
    lab.kubectlWithInput(resource("/gateway/waypoints.yaml"), "apply", "-f", "-")
        .orThrow("apply gateways");

    Config config = Config.fromKubeconfig(Files.readString(LabCluster.ADMIN_KUBECONFIG));
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        WaypointGatewayController controller =
            WaypointGatewayController.start(
                client,
                WaypointManifests.Settings.defaults("cluster.local"),
                Duration.ofSeconds(60))) {
      assertThat(controller).isNotNull();
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(
                        lab.k(
                            "get",
                            "gatewayclass",
                            "istio-waypoint",
                            "-o",
                            "jsonpath={.status.conditions[?(@.type==\"Accepted\")].status}"))
                    .isEqualTo("True");
                assertThat(gatewayCondition("waypoint", "Accepted", "status")).isEqualTo("True");
                assertThat(exists("deployment", "waypoint")).isTrue();
                assertThat(exists("serviceaccount", "waypoint")).isTrue();
                String ip = get("service", "waypoint", "{.spec.clusterIP}");
                assertThat(ip).startsWith("10.96.");
                assertThat(get("gateway", "waypoint", "{.status.addresses[0].value}"))
                    .isEqualTo(ip);
                assertThat(gatewayCondition("not-a-waypoint", "Accepted", "reason"))
                    .isEqualTo("ListenersNotValid");
              });
      assertThat(controller.waypoints())
          .extracting(WaypointGateway::nodeId)
          .containsExactly("wp-test/waypoint");
      assertThat(get("deployment", "waypoint", "{.metadata.ownerReferences[0].kind}"))
          .isEqualTo("Gateway");
      assertThat(get("deployment", "waypoint", "{.metadata.labels.team}")).isEqualTo("payments");
      assertThat(get("gateway", "waypoint", "{.status.listeners[0].name}")).isEqualTo("mesh");
      assertThat(gatewayCondition("waypoint", "Accepted", "observedGeneration")).isEqualTo("1");
      assertThat(exists("deployment", "not-a-waypoint")).isFalse();
      // Another controller's Gateway gets neither objects nor status from us.
      assertThat(exists("deployment", "theirs")).isFalse();
      assertThat(get("gateway", "theirs", "{.status.conditions[0].reason}"))
          .isNotEqualTo("Accepted");

      // Converged: nothing is written again.
      String gwVersion = get("gateway", "waypoint", "{.metadata.resourceVersion}");
      String depGeneration = get("deployment", "waypoint", "{.metadata.generation}");
      Thread.sleep(3000);
      assertThat(get("deployment", "waypoint", "{.metadata.generation}")).isEqualTo(depGeneration);
      String programmed = gatewayCondition("waypoint", "Programmed", "status");
      if ("False".equals(programmed)) {
        // Nothing about the Gateway changed while it stayed un-programmed: no status churn.
        assertThat(get("gateway", "waypoint", "{.metadata.resourceVersion}")).isEqualTo(gwVersion);
      }

      // Made invalid: Accepted=False names the field, and its objects are removed.
      lab.k(
          "-n",
          "wp-test",
          "patch",
          "gateway",
          "waypoint",
          "--type=json",
          "-p",
          "[{\"op\":\"replace\",\"path\":\"/spec/listeners/0/protocol\",\"value\":\"TCP\"}]");
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(gatewayCondition("waypoint", "Accepted", "reason"))
                    .isEqualTo("ListenersNotValid");
                assertThat(gatewayCondition("waypoint", "Accepted", "observedGeneration"))
                    .isEqualTo("2");
                assertThat(exists("deployment", "waypoint")).isFalse();
                assertThat(exists("service", "waypoint")).isFalse();
                assertThat(controller.waypoints()).isEmpty();
              });
      Gateway g = client.resources(Gateway.class).inNamespace("wp-test").withName("waypoint").get();
      assertThat(g.getStatus().getAddresses()).isEmpty();
    } finally {
      lab.k("delete", "namespace", "wp-test", "--wait=false");
    }
  }
}
