package dev.ambient.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.lab.LabCluster;
import dev.ambient.lab.LabClusterExtension;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code mesh install} gives the lab a working ambient data plane, as on a real cluster: the CNI
 * DaemonSet chains its plugin into each node's CNI configuration, pods of an ambient namespace are
 * captured as they start and their traffic crosses nodes as HBONE (ztunnel's metrics count the
 * connections with both SPIFFE principals and mutual TLS), a pod of another namespace is left alone
 * until its namespace joins the mesh while it runs (then captured, and released when the namespace
 * leaves), and {@code mesh uninstall} takes the DaemonSets and the CNI entry away while pods run
 * on.
 */
@Tag("root")
@Tag("lab")
@ExtendWith(LabClusterExtension.class)
class DataPlaneOnLabTest {
  private static final Path STATE = LabCluster.ADMIN_KUBECONFIG.getParent();
  private static final List<String> NODES = List.of("lab-node-1", "lab-node-2");
  private static final String NODE_2_IP = "10.200.0.12";

  private static LabCluster lab;
  private static String mesh;
  private static String plain;

  @BeforeAll
  static void setUp(LabCluster cluster) throws Exception {
    lab = cluster;
    LabCluster.assumeMeshJarBuilt();
    String id = UUID.randomUUID().toString().substring(0, 6);
    mesh = "dp-" + id;
    plain = "plain-" + id;
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (lab != null && mesh != null) {
      lab.kubectl("delete", "namespace", mesh, plain, "--ignore-not-found", "--wait=false");
    }
  }

  @Test
  void ambientPodsTalkHboneAcrossNodesAndUninstallLeavesThemRunning() throws Exception {
    String kubeconfig = LabCluster.ADMIN_KUBECONFIG.toString();
    var install = lab.launcher(Duration.ofMinutes(8), "install", "--kubeconfig", kubeconfig);
    install.orThrow("mesh install");
    assertThat(install.stdout())
        .contains("applied DaemonSet istio-system/ztunnel")
        .contains("applied DaemonSet istio-system/ambient-cni")
        .contains("ztunnel ready on 2 nodes")
        .contains("ambient-cni ready on 2 nodes");
    // The controller publishes its trust bundle as istiod does.
    assertThat(
            lab.k(
                "-n",
                "istio-system",
                "get",
                "configmap",
                "istio-ca-root-cert",
                "-o",
                "jsonpath={.data.root-cert\\.pem}"))
        .startsWith("-----BEGIN CERTIFICATE-----");
    // Each node got the plugin in its own CNI directories.
    for (String node : NODES) {
      assertThat(conflist(node)).isRegularFile();
      assertThat(Files.readString(conflist(node))).contains("\"type\": \"ambient-cni\"");
      assertThat(nodeRoot(node).resolve("opt/cni/bin/ambient-cni")).isExecutable();
    }

    String manifest;
    try (InputStream in = getClass().getResourceAsStream("/dataplane.yaml")) {
      manifest =
          new String(in.readAllBytes(), StandardCharsets.UTF_8)
              .replace("NS_MESH", mesh)
              .replace("NS_PLAIN", plain);
    }
    lab.kubectlWithInput(manifest, "apply", "-f", "-").orThrow("kubectl apply workloads");
    for (String pod : List.of("echo-1", "echo-2", "client")) {
      lab.k("-n", mesh, "wait", "--for=condition=Ready", "pod/" + pod, "--timeout=120s");
    }
    lab.k("-n", plain, "wait", "--for=condition=Ready", "pod/outsider", "--timeout=120s");

    // Captured: the CNI agent recorded the mesh pods on their nodes, not the other namespace's.
    assertThat(capturedPods("lab-node-1")).contains(mesh + "/echo-1", mesh + "/client");
    assertThat(capturedPods("lab-node-2")).contains(mesh + "/echo-2");
    assertThat(capturedPods("lab-node-1")).noneMatch(p -> p.startsWith(plain + "/"));

    String echo2 = lab.k("-n", mesh, "get", "pod", "echo-2", "-o", "jsonpath={.status.podIP}");
    String byPod = curlFrom(mesh, "client", "http://" + echo2 + ":3000/");
    assertThat(byPod).contains("echo-2");
    String byService = curlFrom(mesh, "client", "http://echo." + mesh + ".svc.cluster.local/");
    assertThat(byService).contains(mesh).contains("echo-");

    // Proof of HBONE: node 2's ztunnel accepted the connection to echo-2 over mutual TLS from
    // the client's identity.
    String client = "spiffe://cluster.local/ns/" + mesh + "/sa/default";
    awaitMutualTlsOnNode2(
        "source_principal=\"" + client + "\"",
        "destination_principal=\"" + client + "\"",
        "destination_workload=\"echo-2\"");

    // A pod already running when its namespace joins the mesh is captured (and its traffic
    // carries its identity over HBONE); when the namespace leaves, it is released.
    lab.k("label", "namespace", plain, "istio.io/dataplane-mode=ambient");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(capturedPods("lab-node-1")).contains(plain + "/outsider"));
    assertThat(curlFrom(plain, "outsider", "http://" + echo2 + ":3000/")).contains("echo-2");
    String outsider = "spiffe://cluster.local/ns/" + plain + "/sa/default";
    awaitMutualTlsOnNode2("source_principal=\"" + outsider + "\"");
    lab.k("label", "namespace", plain, "istio.io/dataplane-mode-");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> assertThat(capturedPods("lab-node-1")).doesNotContain(plain + "/outsider"));
    assertThat(curlFrom(plain, "outsider", "http://" + echo2 + ":3000/")).contains("echo-2");

    // A rollout of the CNI agent keeps the plugin chained throughout: the file is never removed
    // and written again (same inode), so no pod can start uncaptured in the gap.
    Object before = fileKey(conflist("lab-node-1"));
    lab.k("-n", "istio-system", "rollout", "restart", "daemonset/ambient-cni");
    lab.k("-n", "istio-system", "rollout", "status", "daemonset/ambient-cni", "--timeout=180s");
    assertThat(fileKey(conflist("lab-node-1"))).isEqualTo(before);

    // Uninstall: DaemonSets gone, the CNI entry gone from every node, the pods still running.
    lab.launcher(Duration.ofMinutes(5), "uninstall", "--kubeconfig", kubeconfig)
        .orThrow("mesh uninstall");
    assertThat(lab.k("-n", "istio-system", "get", "daemonsets", "-o", "name")).isEmpty();
    for (String node : NODES) {
      assertThat(conflist(node)).doesNotExist();
      assertThat(nodeRoot(node).resolve("opt/cni/bin/ambient-cni")).doesNotExist();
    }
    for (String pod : List.of("echo-1", "echo-2", "client")) {
      assertThat(lab.k("-n", mesh, "get", "pod", pod, "-o", "jsonpath={.status.phase}"))
          .isEqualTo("Running");
    }
  }

  /**
   * Waits until node 2's ztunnel counted, as the destination, a mutual-TLS connection carrying
   * these labels.
   */
  private static void awaitMutualTlsOnNode2(String... labels) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(metrics(NODE_2_IP))
                    .anyMatch(
                        l ->
                            l.startsWith("istio_tcp_connections_opened_total{")
                                && l.contains("reporter=\"destination\"")
                                && l.contains("connection_security_policy=\"mutual_tls\"")
                                && java.util.Arrays.stream(labels).allMatch(l::contains)));
  }

  /** What {@code curl} prints for {@code url}, run in that pod (10 s limit). */
  private static String curlFrom(String namespace, String pod, String url)
      throws java.io.IOException, InterruptedException {
    return lab.k("-n", namespace, "exec", pod, "--", "curl", "-sS", "-m", "10", url);
  }

  private static Object fileKey(Path f) throws java.io.IOException {
    return Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
  }

  private static Path nodeRoot(String node) {
    return STATE.resolve(node).resolve("root");
  }

  private static Path conflist(String node) {
    return nodeRoot(node).resolve("etc/cni/net.d/10-ambient.conflist");
  }

  /** namespace/name of every pod the node's CNI agent recorded as captured. */
  private static List<String> capturedPods(String node) throws Exception {
    Path dir = nodeRoot(node).resolve("run/ambient/cni/pods");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(
              f -> {
                try {
                  String json = Files.readString(f);
                  String ns = field(json, "namespace");
                  return ns + "/" + field(json, "name");
                } catch (java.io.IOException e) {
                  return "?";
                }
              })
          .toList();
    }
  }

  private static String field(String json, String name) {
    var m = java.util.regex.Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
    return m.find() ? m.group(1) : "?";
  }

  /** ztunnel's Prometheus text from a node (node addresses are reachable from the host). */
  private static List<String> metrics(String nodeIp) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + nodeIp + ":15020/metrics"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.body().lines().toList();
  }
}
