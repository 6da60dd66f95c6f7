package dev.ambient.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.lab.LabCluster;
import dev.ambient.lab.LabClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A user's waypoint, end to end on the lab cluster: {@code mesh install}, then the example of
 * {@code deploy/examples/waypoint-demo.yaml} (an ambient namespace using the waypoint Gateway
 * {@code waypoint}, an HTTPRoute splitting {@code echo} between two versions with a header match
 * and a request header set, and an L7 DENY). The controller provisions the waypoint (its pod makes
 * its own identity), reports the Gateway Programmed, and every request from an unmodified client
 * pod goes ztunnel -> waypoint Envoy -> ztunnel, as the echo servers' answers show.
 */
@Tag("root")
@Tag("lab")
@ExtendWith(LabClusterExtension.class)
class WaypointOnLabTest {
  private static LabCluster lab;
  private static String ns;

  @BeforeAll
  static void setUp(LabCluster cluster) throws Exception {
    lab = cluster;
    Path repo = LabCluster.findRepo();
    boolean jar = Files.isRegularFile(repo.resolve("gateway-controller/target/mesh.jar"));
    if (!jar) {
      System.out.println(
          "skipped: gateway-controller/target/mesh.jar is not built (run ./mesh build)");
    }
    Assumptions.assumeTrue(jar, "skipped: mesh.jar is not built");
    ns = "wp-" + UUID.randomUUID().toString().substring(0, 6);
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (lab != null && ns != null) {
      lab.kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=false");
    }
  }

  private static String curl(String... args) throws Exception {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of("-n", ns, "exec", "client", "--", "curl", "-sS", "-m", "10"));
    cmd.addAll(List.of(args));
    return lab.k(cmd.toArray(new String[0]));
  }

  @Test
  void routesSplitsRewritesAndDeniesThroughAProvisionedWaypoint() throws Exception {
    Path repo = LabCluster.findRepo();
    lab.mesh(Duration.ofMinutes(5), "crds").orThrow("mesh lab crds");
    lab.launcher(
            Duration.ofMinutes(8),
            "install",
            "--kubeconfig",
            LabCluster.ADMIN_KUBECONFIG.toString())
        .orThrow("mesh install");
    String manifest =
        Files.readString(repo.resolve("deploy/examples/waypoint-demo.yaml"))
            .replace("ambient-demo", ns);
    lab.kubectlWithInput(manifest, "apply", "-f", "-").orThrow("kubectl apply example");

    // The controller made the waypoint and says so on the Gateway.
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () ->
                assertThat(
                        lab.k(
                            "-n",
                            ns,
                            "get",
                            "gateway",
                            "waypoint",
                            "-o",
                            "jsonpath={.status.conditions[?(@.type==\"Programmed\")].status}"))
                    .isEqualTo("True"));
    lab.k("-n", ns, "wait", "--for=condition=Ready", "pod/client", "--timeout=120s");
    lab.k("-n", ns, "wait", "--for=condition=Available", "deployment/echo-v1", "--timeout=120s");
    lab.k("-n", ns, "wait", "--for=condition=Available", "deployment/echo-v2", "--timeout=120s");
    String url = "http://echo." + ns + ".svc.cluster.local/";

    // The route's header match.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> assertThat(curl("-H", "x-version: v2", url)).contains("echo-v2-"));

    // The 70/30 split, with the header the waypoint sets on those requests.
    Map<String, Integer> hits = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      String body = curl(url);
      assertThat(body).containsIgnoringCase("x-mesh-route").contains("split-70-30");
      hits.merge(
          body.contains("echo-v1-") ? "v1" : body.contains("echo-v2-") ? "v2" : "?",
          1,
          Integer::sum);
    }
    // Both versions answer (a 70/30 split leaves one out of 40 requests with p < 1e-6); the exact
    // counts are random, so they are printed, not asserted.
    System.out.println("70/30 split over 40 requests: " + hits);
    assertThat(hits).containsOnlyKeys("v1", "v2");

    // The L7 DENY, answered by the waypoint.
    assertThat(curl("-i", url + "admin")).contains("403").contains("RBAC: access denied");
    assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", url + "public")).isEqualTo("200");

    // The route's status comes from our controller.
    assertThat(
            lab.k(
                "-n",
                ns,
                "get",
                "httproute",
                "echo-split",
                "-o",
                "jsonpath={.status.parents[0].conditions[?(@.type==\"Accepted\")].status}"))
        .isEqualTo("True");
  }
}
