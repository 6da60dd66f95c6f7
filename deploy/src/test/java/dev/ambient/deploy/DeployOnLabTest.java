package dev.ambient.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.lab.LabCluster;
import dev.ambient.lab.LabClusterExtension;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code mesh install} of deploy/ on the lab cluster as on any cluster: the controller runs as a
 * pod, takes the mesh from the cluster with its own service account, and writes route status;
 * {@code mesh uninstall} removes it again.
 */
@Tag("root")
@Tag("lab")
@ExtendWith(LabClusterExtension.class)
class DeployOnLabTest {
  private static LabCluster lab;
  private static Path repo;

  @BeforeAll
  static void setUp(LabCluster cluster) throws Exception {
    lab = cluster;
    repo = LabCluster.findRepo();
    LabCluster.assumeMeshJarBuilt();
    lab.mesh(Duration.ofMinutes(5), "crds").orThrow("mesh lab crds");
    lab.k("wait", "--for=condition=Established", "crd/httproutes.gateway.networking.k8s.io");
  }

  @Test
  void theControllerRunsInTheClusterAndWritesRouteStatus() throws Exception {
    String kubeconfig = LabCluster.ADMIN_KUBECONFIG.toString();
    var install = lab.launcher(Duration.ofMinutes(6), "install", "--kubeconfig", kubeconfig);
    install.orThrow("mesh install");
    assertThat(install.stdout())
        .contains("applied Deployment istio-system/ambient-controller")
        .contains("mesh installed");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(lab.k("-n", "istio-system", "logs", "deployment/ambient-controller"))
                    .contains("controller config: Kubernetes (in cluster)")
                    .contains("WDS snapshot version"));

    String route;
    try (InputStream in = getClass().getResourceAsStream("/route.yaml")) {
      route = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    lab.kubectlWithInput(route, "apply", "-f", "-").orThrow("kubectl apply route");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        lab.k(
                            "-n",
                            "deploytest",
                            "get",
                            "httproute",
                            "echo",
                            "-o",
                            "jsonpath={.status.parents[0].conditions[?(@.type==\"Accepted\")].reason}"))
                    .isEqualTo("Accepted"));

    // Installing again changes nothing and succeeds (server-side apply).
    lab.launcher(Duration.ofMinutes(6), "install", "--kubeconfig", kubeconfig).orThrow("reinstall");

    // Uninstalling removes the controller and its RBAC, and keeps the namespace.
    lab.launcher(Duration.ofMinutes(4), "uninstall", "--kubeconfig", kubeconfig)
        .orThrow("mesh uninstall");
    assertThat(lab.kubectl("get", "clusterrole", "ambient-controller").exitCode()).isNotZero();
    assertThat(lab.k("get", "namespace", "istio-system", "-o", "name"))
        .isEqualTo("namespace/istio-system");
    await()
        .atMost(Duration.ofSeconds(90))
        .untilAsserted(
            () ->
                assertThat(lab.k("get", "pods", "-A", "-l", "app=ambient-controller", "-o", "name"))
                    .isEmpty());
  }
}
