package dev.ambient.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The lab cluster end to end: the real kube-apiserver, controller-manager, scheduler, kube-proxy
 * and CoreDNS, and our node agents running pods as processes in network namespaces. One cluster
 * serves the whole class; the tests run in order because later ones build on earlier objects.
 */
@Tag("root")
@Tag("lab")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LabClusterTest {
  private static final Pattern ECHO_POD = Pattern.compile("\"pod\"\\s*:\\s*\"([^\"]+)\"");
  private static LabCluster lab;
  private static boolean started;

  @BeforeAll
  static void startLab() throws Exception {
    var reason = LabCluster.unavailableReason();
    reason.ifPresent(System.out::println);
    Assumptions.assumeTrue(reason.isEmpty(), reason.orElse(""));
    lab = new LabCluster(LabCluster.findRepo());
    lab.mesh(Duration.ofMinutes(2), "down"); // leftovers of an aborted run
    // The first run on a machine builds Kubernetes and the rest from the Go module proxy.
    long start = System.nanoTime();
    var up = lab.mesh(Duration.ofMinutes(60), "up");
    System.out.printf("lab up took %d s%n", (System.nanoTime() - start) / 1_000_000_000);
    System.out.println(up.stdout() + up.stderr());
    up.orThrow("mesh lab up");
    started = true;
    var status = lab.mesh(Duration.ofMinutes(1), "status").orThrow("mesh lab status");
    assertThat(status.stdout())
        .contains("kube-apiserver", "etcd", "coredns", "lab-node-1", "lab-node-2");
  }

  @AfterAll
  static void stopLab() throws Exception {
    if (lab == null) {
      return;
    }
    lab.mesh(Duration.ofMinutes(2), "down").orThrow("mesh lab down");
    if (started) {
      // Nothing of the lab remains: no namespaces, no bridge, no processes.
      assertThat(run("ip", "netns", "list")).doesNotContain("amblab-");
      assertThat(run("ip", "-o", "link", "show")).doesNotContain("amblab");
      assertThat(run("iptables", "-S", "FORWARD")).doesNotContain("ambient-lab");
      assertThat(Files.exists(Path.of("/run/ambient-lab"))).isFalse();
    }
  }

  @Test
  @Order(1)
  void deploymentReplicasGetDistinctIpsAndBecomeReady() throws Exception {
    apply("echo.yaml");
    lab.k("-n", "labtest", "rollout", "status", "deployment/echo", "--timeout=180s");
    List<String> ips = podIps("app=echo");
    assertThat(ips).hasSize(2).doesNotHaveDuplicates();
    assertThat(ips).allMatch(ip -> ip.startsWith("10.244."));
    // Both nodes take part: the scheduler spreads the replicas.
    lab.k("-n", "labtest", "wait", "--for=condition=Ready", "pod/client", "--timeout=120s");
  }

  @Test
  @Order(2)
  void serviceAnswersFromBothReplicasByDnsNameAndClusterIp() throws Exception {
    Set<String> replicas = new HashSet<>(podNames("app=echo"));
    String clusterIp =
        lab.k("-n", "labtest", "get", "svc", "echo", "-o", "jsonpath={.spec.clusterIP}");
    assertThat(clusterIp).startsWith("10.96.");
    for (String url :
        List.of(
            "http://echo.labtest.svc.cluster.local/",
            "http://echo/",
            "http://" + clusterIp + "/")) {
      Set<String> answered = new HashSet<>();
      for (int i = 0; i < 40 && !answered.containsAll(replicas); i++) {
        var r =
            lab.kubectl(
                "-n", "labtest", "exec", "client", "--", "curl", "-sS", "--max-time", "5", url);
        Matcher m = ECHO_POD.matcher(r.stdout());
        if (r.exitCode() == 0 && m.find()) {
          answered.add(m.group(1));
        }
      }
      assertThat(answered).as("replicas that answered %s", url).isEqualTo(replicas);
    }
  }

  @Test
  @Order(3)
  void execReturnsOutputExitCodeAndRunsInThePod() throws Exception {
    var r =
        lab.kubectl(
            "-n", "labtest", "exec", "client", "--", "sh", "-c", "echo out; echo err >&2; exit 7");
    assertThat(r.exitCode()).isEqualTo(7);
    assertThat(r.stdout()).isEqualTo("out\n");
    assertThat(r.stderr()).contains("err");
    assertThat(lab.k("-n", "labtest", "exec", "client", "--", "hostname")).isEqualTo("client");
    assertThat(lab.k("-n", "labtest", "exec", "client", "--", "cat", "/etc/resolv.conf"))
        .contains("nameserver 10.96.0.10")
        .contains("search labtest.svc.cluster.local svc.cluster.local cluster.local");
    String token =
        lab.k(
            "-n",
            "labtest",
            "exec",
            "client",
            "--",
            "cat",
            "/var/run/secrets/kubernetes.io/serviceaccount/token");
    assertThat(token.split("\\.")).as("a projected service-account JWT").hasSize(3);
    String env = lab.k("-n", "labtest", "exec", "client", "--", "env");
    assertThat(env).contains("POD_NAME=client", "POD_NAMESPACE=labtest", "SERVICE_ACCOUNT=default");
    // Resolved when the container starts: the pod's own IP, a ConfigMap key, a $(VAR) reference.
    assertThat(env)
        .contains("MY_IP=" + podField("client", "{.status.podIP}"))
        .contains("GREETING=hello", "MESSAGE=hello world");
    assertThat(lab.k("-n", "labtest", "exec", "client", "--", "cat", "/etc/client/greeting"))
        .isEqualTo("hello");
  }

  @Test
  @Order(4)
  void logsShowTheContainersOutput() throws Exception {
    assertThat(lab.k("-n", "labtest", "logs", "client")).contains("client started");
  }

  @Test
  @Order(5)
  void gatewayApiAndIstioCrdsApplyAndServe() throws Exception {
    lab.mesh(Duration.ofMinutes(10), "crds").orThrow("mesh lab crds");
    for (String crd :
        List.of(
            "httproutes.gateway.networking.k8s.io",
            "gateways.gateway.networking.k8s.io",
            "tcproutes.gateway.networking.k8s.io",
            "authorizationpolicies.security.istio.io",
            "peerauthentications.security.istio.io",
            "wasmplugins.extensions.istio.io")) {
      lab.k("wait", "--for=condition=Established", "crd/" + crd, "--timeout=60s");
    }
    apply("routes.yaml");
    assertThat(
            lab.k(
                "-n",
                "labtest",
                "get",
                "httproute",
                "echo-route",
                "-o",
                "jsonpath={.spec.parentRefs[0].kind}"))
        .isEqualTo("Service");
    assertThat(
            lab.k(
                "-n",
                "labtest",
                "get",
                "authorizationpolicy,peerauthentication,wasmplugin",
                "-o",
                "name"))
        .contains("authorizationpolicy.security.istio.io/deny-delete")
        .contains("peerauthentication.security.istio.io/strict")
        .contains("wasmplugin.extensions.istio.io/authz");
    // The served schema validates: a path match type that does not exist is refused.
    var bad = lab.kubectlWithInput(resource("bad-route.yaml"), "apply", "-f", "-");
    assertThat(bad.exitCode()).isNotZero();
    assertThat(bad.stderr()).contains("spec.rules[0].matches[0].path.type");
  }

  @Test
  @Order(6)
  void aPodFailingReadinessStaysNotReadyAndOutOfTheServiceEndpoints() throws Exception {
    apply("failing.yaml");
    await()
        .atMost(Duration.ofMinutes(2))
        .untilAsserted(
            () -> assertThat(podField("never-ready", "{.status.phase}")).isEqualTo("Running"));
    String ip = podField("never-ready", "{.status.podIP}");
    await()
        .atMost(Duration.ofMinutes(1))
        .untilAsserted(() -> assertThat(endpointReadiness("echo")).contains(ip + "=false"));
    Thread.sleep(3000); // several probe periods
    assertThat(podField("never-ready", "{.status.conditions[?(@.type==\"Ready\")].status}"))
        .isEqualTo("False");
    assertThat(endpointReadiness("echo")).contains(ip + "=false").doesNotContain(ip + "=true");
  }

  @Test
  @Order(7)
  void aCrashingContainerIsRestartedWithBackoff() throws Exception {
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () ->
                assertThat(
                        Integer.parseInt(
                            podField("crasher", "{.status.containerStatuses[0].restartCount}")))
                    .isGreaterThanOrEqualTo(2));
    String last =
        podField("crasher", "{.status.containerStatuses[0].lastState.terminated.exitCode}");
    assertThat(last).isEqualTo("3");
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        podField("crasher", "{.status.containerStatuses[0].state.waiting.reason}"))
                    .isEqualTo("CrashLoopBackOff"));
    assertThat(lab.k("-n", "labtest", "logs", "crasher", "--previous")).contains("crashing");
  }

  @Test
  @Order(8)
  void anUnknownImageIsReportedAsErrImagePull() throws Exception {
    // As with a kubelet: ErrImagePull at each attempt, ImagePullBackOff between attempts.
    String reason = "{.status.containerStatuses[0].state.waiting.reason}";
    await()
        .atMost(Duration.ofMinutes(1))
        .untilAsserted(
            () ->
                assertThat(podField("unknown-image", reason))
                    .isIn("ErrImagePull", "ImagePullBackOff"));
    assertThat(podField("unknown-image", "{.status.containerStatuses[0].state.waiting.message}"))
        .contains("example.com/not-in-the-table:v1")
        .contains("image table");
    assertThat(podField("unknown-image", "{.status.containerStatuses[0].restartCount}"))
        .isEqualTo("0");
  }

  @Test
  @Order(20)
  void scalingToZeroKillsTheProcessesAndRemovesTheNetworkNamespaces() throws Exception {
    List<String> uids =
        List.of(
            lab.k(
                    "-n",
                    "labtest",
                    "get",
                    "pods",
                    "-l",
                    "app=echo,!probe",
                    "-o",
                    "jsonpath={range .items[?(@.metadata.ownerReferences)]}{.metadata.uid} {end}")
                .split("\\s+"));
    assertThat(uids).hasSize(2);
    List<Path> netns = new ArrayList<>();
    List<Long> pids = new ArrayList<>();
    for (String uid : uids) {
      Path ns = Path.of("/run/netns", netnsName(uid));
      assertThat(ns).exists();
      netns.add(ns);
      for (String pid : run("ip", "netns", "pids", ns.getFileName().toString()).split("\\s+")) {
        if (!pid.isBlank()) {
          pids.add(Long.parseLong(pid));
        }
      }
    }
    assertThat(pids).isNotEmpty();
    lab.k("-n", "labtest", "scale", "deployment/echo", "--replicas=0");
    lab.k(
        "-n", "labtest", "wait", "--for=delete", "pod", "-l", "app=echo,!probe", "--timeout=120s");
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(netns).allMatch(p -> !Files.exists(p));
              assertThat(pids)
                  .allMatch(pid -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
            });
  }

  @Test
  @Order(10)
  void hostNetworkDaemonSetRunsInEachNodesNamespaceWithHostPath() throws Exception {
    apply("extras.yaml");
    lab.k("-n", "labtest", "rollout", "status", "daemonset/node-probe", "--timeout=120s");
    assertThat(podIps("app=node-probe")).containsExactlyInAnyOrder("10.200.0.11", "10.200.0.12");
    Path dir = Path.of("/run/ambient-lab-test-hostpath");
    // A path under /run belongs to the node: each node's pod writes into its own copy, under the
    // node's state dir, and never sees the other node's file.
    Path state = LabCluster.ADMIN_KUBECONFIG.getParent();
    Path one = state.resolve("lab-node-1/root/run/ambient-lab-test-hostpath");
    Path two = state.resolve("lab-node-2/root/run/ambient-lab-test-hostpath");
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(one.resolve("lab-node-1")).hasContent("lab-node-1 10.200.0.11");
                assertThat(two.resolve("lab-node-2")).hasContent("lab-node-2 10.200.0.12");
              });
      assertThat(one.resolve("lab-node-2")).doesNotExist();
      assertThat(two.resolve("lab-node-1")).doesNotExist();
      assertThat(dir.resolve("lab-node-1")).doesNotExist();
    } finally {
      lab.k("-n", "labtest", "delete", "daemonset", "node-probe", "--wait=true");
      run("rm", "-rf", dir.toString());
    }
  }

  @Test
  @Order(11)
  void istioEchoServerAndClientWorkAsTheMeshConformanceUsesThem() throws Exception {
    lab.k("-n", "labtest", "rollout", "status", "deployment/echo-advanced", "--timeout=120s");
    String pod = podNames("app=echo-advanced").get(0);
    // The conformance suite execs the image's `client` against URLs, bare service names included.
    // kube-proxy programs a new Service's endpoints a moment after the pod is ready: retry.
    String[] call = {
      "-n",
      "labtest",
      "exec",
      pod,
      "-c",
      "echo",
      "--",
      "client",
      "--count",
      "2",
      "http://echo-advanced/"
    };
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              var r = lab.kubectl(call);
              assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
              assertThat(r.stdout()).contains("Hostname=" + pod).contains("StatusCode=200");
            });
    // The image's test serving certificate is where the server expects it.
    assertThat(lab.k("-n", "labtest", "exec", pod, "--", "head", "-1", "/cert.crt"))
        .isEqualTo("-----BEGIN CERTIFICATE-----");
  }

  @Test
  @Order(12)
  void portForwardReachesThePod() throws Exception {
    String pod = podNames("app=echo-advanced").get(0);
    Process forward =
        new ProcessBuilder(
                LabCluster.findRepo().resolve("mesh").toString(),
                "lab",
                "kubectl",
                "-n",
                "labtest",
                "port-forward",
                "pod/" + pod,
                "18089:8080")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () ->
                  assertThat(run("curl", "-sS", "--max-time", "5", "http://127.0.0.1:18089/"))
                      .contains("Hostname=" + pod));
    } finally {
      forward.descendants().forEach(ProcessHandle::destroy);
      forward.destroy();
      forward.waitFor();
    }
  }

  @Test
  @Order(13)
  void aFinishedPodSucceeds() throws Exception {
    apply("waypoint-image.yaml");
    await()
        .atMost(Duration.ofMinutes(2))
        .untilAsserted(
            () -> assertThat(podField("waypoint-image", "{.status.phase}")).isEqualTo("Succeeded"));
    assertThat(lab.k("-n", "labtest", "logs", "waypoint-image")).contains("finished-ok");
    assertThat(podField("waypoint-image", "{.status.containerStatuses[0].state.terminated.reason}"))
        .isEqualTo("Completed");
  }

  /** One field of a pod in the test namespace, by JSONPath. */
  private static String podField(String pod, String jsonPath) throws Exception {
    return lab.k("-n", "labtest", "get", "pod", pod, "-o", "jsonpath=" + jsonPath);
  }

  /** The agent names a pod's netns after its UID; see lab/labctl/internal/agent/network.go. */
  private static String netnsName(String uid) throws Exception {
    byte[] sum = MessageDigest.getInstance("SHA-256").digest(uid.getBytes(StandardCharsets.UTF_8));
    return "amblab-pod-" + HexFormat.of().formatHex(sum).substring(0, 10);
  }

  private static List<String> podIps(String selector) throws Exception {
    return List.of(
        lab.k(
                "-n",
                "labtest",
                "get",
                "pods",
                "-l",
                selector,
                "-o",
                "jsonpath={range .items[*]}{.status.podIP} {end}")
            .split("\\s+"));
  }

  private static List<String> podNames(String selector) throws Exception {
    return List.of(
        lab.k(
                "-n",
                "labtest",
                "get",
                "pods",
                "-l",
                selector,
                "-o",
                "jsonpath={range .items[*]}{.metadata.name} {end}")
            .split("\\s+"));
  }

  private static String endpointReadiness(String service) throws Exception {
    return lab.k(
        "-n",
        "labtest",
        "get",
        "endpointslices",
        "-l",
        "kubernetes.io/service-name=" + service,
        "-o",
        "jsonpath={range .items[*].endpoints[*]}{.addresses[0]}={.conditions.ready} {end}");
  }

  private static void apply(String manifest) throws Exception {
    lab.kubectlWithInput(resource(manifest), "apply", "-f", "-")
        .orThrow("kubectl apply " + manifest);
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = LabClusterTest.class.getResourceAsStream("/manifests/" + name)) {
      if (in == null) {
        throw new IOException("missing test manifest " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }
}
