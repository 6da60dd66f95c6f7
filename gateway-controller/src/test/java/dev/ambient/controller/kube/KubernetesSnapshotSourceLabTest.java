package dev.ambient.controller.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.lab.LabCluster;
import dev.ambient.lab.LabClusterExtension;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Kubernetes source against the lab cluster's real API server and pods. */
@Tag("root")
@Tag("lab")
@ExtendWith(LabClusterExtension.class)
class KubernetesSnapshotSourceLabTest {
  private static LabCluster lab;

  @BeforeAll
  static void setUp(LabCluster cluster) throws Exception {
    lab = cluster;
    lab.mesh(Duration.ofMinutes(5), "crds").orThrow("mesh lab crds");
    lab.k("wait", "--for=condition=Established", "crd/authorizationpolicies.security.istio.io");
  }

  @Test
  void theSnapshotFollowsTheClusterAndLeavesOutInvalidObjects() throws Exception {
    String manifest;
    try (InputStream in = getClass().getResourceAsStream("/kube/mesh-objects.yaml")) {
      manifest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    lab.kubectlWithInput(manifest, "apply", "-f", "-").orThrow("kubectl apply");
    lab.k("-n", "meshapp", "rollout", "status", "deployment/server", "--timeout=120s");
    lab.k("-n", "plainapp", "wait", "--for=condition=Ready", "pod/outsider", "--timeout=120s");
    String serverPod =
        lab.k(
            "-n",
            "meshapp",
            "get",
            "pods",
            "-l",
            "app=server",
            "-o",
            "jsonpath={.items[0].metadata.name}");
    String serverIp =
        lab.k("-n", "meshapp", "get", "pod", serverPod, "-o", "jsonpath={.status.podIP}");
    String clusterIp =
        lab.k("-n", "meshapp", "get", "svc", "server", "-o", "jsonpath={.spec.clusterIP}");

    Config config = Config.fromKubeconfig(Files.readString(LabCluster.ADMIN_KUBECONFIG));
    List<MeshState> seen = new CopyOnWriteArrayList<>();
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        KubernetesSnapshotSource source =
            KubernetesSnapshotSource.start(
                client, KubeTranslator.Settings.DEFAULT, Duration.ofSeconds(60))) {
      source.onChange(seen::add);

      MeshState state = source.current();
      Workload server = workload(state, serverPod).orElseThrow();
      assertThat(server.protocol()).isEqualTo(TunnelProtocol.HBONE);
      assertThat(server.serviceAccount()).isEqualTo("server");
      assertThat(server.addresses()).extracting(a -> a.getHostAddress()).containsExactly(serverIp);
      assertThat(server.node()).startsWith("lab-node-");
      assertThat(workload(state, "outsider").orElseThrow().protocol())
          .isEqualTo(TunnelProtocol.NONE);
      var service =
          state.services().stream()
              .filter(s -> s.hostname().equals("server.meshapp.svc.cluster.local"))
              .findFirst()
              .orElseThrow();
      assertThat(service.vips()).extracting(a -> a.getHostAddress()).containsExactly(clusterIp);
      assertThat(service.endpoints()).containsExactly("Kubernetes//Pod/meshapp/" + serverPod);
      assertThat(state.policies())
          .extracting(AuthorizationPolicy::name)
          .contains("deny-plainapp")
          .doesNotContain("broken");

      // The invalid policy is named in a Warning Event on it.
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(
                          lab.k(
                              "-n",
                              "meshapp",
                              "get",
                              "events",
                              "--field-selector",
                              "involvedObject.name=broken,reason=" + ProblemReporter.REASON,
                              "-o",
                              "jsonpath={.items[*].message}"))
                      .contains("ipBlocks"));

      // Level-triggered: the next snapshots follow labels, scaling and deletion.
      long before = state.version();
      lab.k("label", "namespace", "plainapp", "istio.io/dataplane-mode=ambient");
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                MeshState now = source.current();
                assertThat(now.version()).isGreaterThan(before);
                assertThat(workload(now, "outsider").orElseThrow().protocol())
                    .isEqualTo(TunnelProtocol.HBONE);
              });
      lab.k("-n", "meshapp", "scale", "deployment/server", "--replicas=0");
      lab.k("-n", "meshapp", "delete", "authorizationpolicy", "broken");
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                MeshState now = source.current();
                assertThat(workload(now, serverPod)).isEmpty();
                assertThat(
                        now.services().stream()
                            .filter(s -> s.name().equals("server"))
                            .findFirst()
                            .orElseThrow()
                            .endpoints())
                    .isEmpty();
              });
      assertThat(seen).isNotEmpty();
      assertThat(seen).extracting(MeshState::version).isSorted();
    }
  }

  private static Optional<Workload> workload(MeshState state, String name) {
    return state.workloads().stream().filter(w -> w.name().equals(name)).findFirst();
  }
}
