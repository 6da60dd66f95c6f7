package dev.ambient.controller.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.controller.ca.BootstrapTokens;
import dev.ambient.controller.ca.CertificateAuthority;
import dev.ambient.controller.ca.RootStore;
import dev.ambient.controller.demo.SampleHttpServer;
import dev.ambient.controller.gateway.WaypointGateway;
import dev.ambient.controller.kube.KubeTranslator;
import dev.ambient.controller.server.ControllerServer;
import dev.ambient.controller.server.LocalStoreMode;
import dev.ambient.controller.waypoint.process.EnvoyBinary;
import dev.ambient.netlab.NetLab;
import dev.ambient.netlab.Node;
import dev.ambient.netlab.Pod;
import dev.ambient.ztunnel.app.ZtunnelApp;
import dev.ambient.ztunnel.cni.CniClient;
import dev.ambient.ztunnel.cni.InPodRules;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import dev.ambient.ztunnel.testing.TestAddresses;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.netty.channel.uring.IoUring;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local mode end to end, every part real: a store written by {@code apply}, the controller
 * serving it ({@link LocalStoreMode}: CA, workload discovery, waypoint ADS), two in-pod ztunnels on
 * two NetLab nodes configured by discovery, pods as network namespaces running HTTP servers, and
 * the waypoint Gateway run as {@code mesh waypoint run} with Envoy 1.40 in its own namespace on
 * node a's bridge. Traffic from the client pod goes ztunnel, waypoint Envoy, ztunnel and is routed
 * by the HTTPRoute's header match; deleting the route changes the routing; deleting the Gateway
 * stops the waypoint and removes its namespace.
 */
@Tag("root")
@Tag("envoy")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalWaypointEndToEndTest {
  private static final String TD = "cluster.local";
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir static Path dir;

  private final InetAddress controllerIp = TestAddresses.next();
  private final InetAddress nodeAIp = TestAddresses.next();
  private final InetAddress nodeBIp = TestAddresses.next();

  private NetLab lab;
  private Pod client;
  private Pod echo;
  private Pod echoV2;
  private LocalStore store;
  private ManifestReader reader;
  private LocalStoreMode mode;
  private ControllerServer controller;
  private ZtunnelApp ztunnelA;
  private ZtunnelApp ztunnelB;

  @BeforeAll
  void start() throws Exception {
    Assumptions.assumeTrue(NetLab.isRoot(), "skipped: needs root for network namespaces");
    Assumptions.assumeTrue(
        IoUring.isAvailable(),
        "skipped: in-pod mode needs io_uring: " + IoUring.unavailabilityCause());
    if (EnvoyBinary.find().isEmpty()) {
      System.out.println(EnvoyBinary.skipReason());
    }
    Assumptions.assumeTrue(EnvoyBinary.find().isPresent(), EnvoyBinary.skipReason());

    lab = NetLab.create();
    Node a = lab.node("a", "10.73.1.0/24");
    Node b = lab.node("b", "10.73.2.0/24");
    lab.link(a, b);
    client = lab.pod(a, "client");
    echo = lab.pod(b, "echo");
    echoV2 = lab.pod(b, "echo-v2");
    lab.start(
        echo, NetLab.javaArgv(SampleHttpServer.class, "echo-v1", "8080").toArray(String[]::new));
    lab.start(
        echoV2, NetLab.javaArgv(SampleHttpServer.class, "echo-v2", "8080").toArray(String[]::new));

    KubernetesSerialization serialization = new KubernetesSerialization();
    store = new LocalStore(dir.resolve("store"), serialization);
    reader = new ManifestReader(serialization);
    apply(manifests());

    Path caState = dir.resolve("ca");
    RootStore roots = RootStore.open(caState, TD);
    mode = LocalStoreMode.open(store.dir(), TD, List.of("node-a=" + a.netns()));
    controller =
        ControllerServer.start(
            new ControllerServer.Settings(new InetSocketAddress(controllerIp, 0), null),
            mode.source(),
            new CertificateAuthority(roots, TD, Duration.ofHours(24)),
            mode.authenticator(BootstrapTokens.open(caState)),
            mode.discovery());
    InetSocketAddress controllerAddress = new InetSocketAddress(controllerIp, controller.port());
    mode.serverStarted(controllerAddress, roots.trustBundlePath());

    ztunnelA = ztunnel("node-a", nodeAIp, controllerAddress, roots, caState);
    ztunnelB = ztunnel("node-b", nodeBIp, controllerAddress, roots, caState);
    await().atMost(WAIT).until(() -> ztunnelA.isReady() && ztunnelB.isReady());
    for (Pod p : List.of(client, echo, echoV2)) {
      new InPodRules(p.netnsPath()).add();
    }
    assertThat(cniAdd("node-a", client, "client")).isEqualTo(CniMessage.Ack.success());
    assertThat(cniAdd("node-b", echo, "echo")).isEqualTo(CniMessage.Ack.success());
    assertThat(cniAdd("node-b", echoV2, "echo-v2")).isEqualTo(CniMessage.Ack.success());
  }

  private ZtunnelApp ztunnel(
      String node, InetAddress ip, InetSocketAddress controllerAddress, RootStore roots, Path ca)
      throws Exception {
    return ZtunnelApp.start(
        new ZtunnelApp.Settings(
            null,
            node,
            TD,
            controllerAddress,
            roots.trustBundlePath(),
            BootstrapTokens.issue(ca, node, null),
            Duration.ofHours(1),
            null,
            new InetSocketAddress(ip, 15000),
            new InetSocketAddress(ip, 15020),
            new InetSocketAddress(ip, 15021),
            15008,
            2,
            dir.resolve(node + ".sock"),
            Duration.ofSeconds(1),
            controllerAddress,
            false));
  }

  private CniMessage.Ack cniAdd(String node, Pod pod, String name) throws Exception {
    return CniClient.sendOne(
        dir.resolve(node + ".sock"),
        Duration.ofSeconds(10),
        new CniMessage.AddPod(
            "Kubernetes//Pod/demo/" + name,
            "demo",
            name,
            name,
            pod.netnsPath().toString(),
            List.of(pod.ip().getHostAddress())));
  }

  @AfterAll
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {ztunnelA, ztunnelB, controller, lab}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          System.out.println("cleanup: " + c + ": " + e);
        }
      }
    }
  }

  private void apply(String yaml) throws IOException {
    ManifestReader.Result r = reader.parse(yaml, "e2e.yaml");
    assertThat(r.problems()).isEmpty();
    LocalStore.Outcome out =
        store.apply(r.objects(), new StoreValidator(KubeTranslator.Settings.DEFAULT));
    assertThat(out.problems()).isEmpty();
  }

  private String manifests() {
    return """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: demo
          labels: {istio.io/dataplane-mode: ambient}
        ---
        %s---
        %s---
        %s---
        apiVersion: v1
        kind: Service
        metadata:
          name: echo
          namespace: demo
          labels: {istio.io/use-waypoint: wp}
        spec:
          clusterIP: 10.96.7.10
          selector: {app: echo}
          ports: [{name: http, port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: echo-v2
          namespace: demo
        spec:
          clusterIP: 10.96.7.11
          selector: {app: echo-v2}
          ports: [{name: http, port: 80, targetPort: 8080}]
        ---
        %s---
        %s"""
        .formatted(
            pod("client", client, "node-a"),
            pod("echo", echo, "node-b"),
            pod("echo-v2", echoV2, "node-b"),
            LocalStoreTest.WAYPOINT,
            ROUTE);
  }

  private static final String ROUTE =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata:
        name: by-header
        namespace: demo
      spec:
        parentRefs:
        - {group: "", kind: Service, name: echo, port: 80}
        rules:
        - matches:
          - headers: [{name: x-version, value: v2}]
          backendRefs: [{name: echo-v2, port: 80}]
        - backendRefs: [{name: echo, port: 80}]
      """;

  private static String pod(String name, Pod pod, String node) {
    return """
        apiVersion: v1
        kind: Pod
        metadata:
          name: %s
          namespace: demo
          labels: {app: %s}
        spec:
          nodeName: %s
          serviceAccountName: %s
        status:
          phase: Running
          podIP: %s
        """
        .formatted(name, name, node, name, pod.ip().getHostAddress());
  }

  /** An HTTP GET to the echo Service from inside the client pod (bash, no mesh awareness). */
  private String get(String header) {
    String request =
        "GET / HTTP/1.1\\r\\nHost: echo.demo.svc.cluster.local\\r\\n"
            + (header == null ? "" : header + "\\r\\n")
            + "Connection: close\\r\\n\\r\\n";
    String script =
        "exec 3<>/dev/tcp/10.96.7.10/80 || exit 7; printf '" + request + "' >&3; timeout 5 cat <&3";
    try {
      Process p =
          client.command("timeout", "10", "bash", "-c", script).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(15, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private Gateway gateway() throws IOException {
    StoreObject o = store.read().objects().get("Gateway/demo/wp");
    return o == null ? null : (Gateway) o.object();
  }

  @Test
  void headerRoutingThroughTheLocalWaypointFollowsTheStore() throws Exception {
    // The Gateway is Programmed with the waypoint's address on node a's bridge.
    await()
        .atMost(WAIT)
        .until(
            () -> {
              Gateway g = gateway();
              return g.getStatus() != null
                  && g.getStatus().getAddresses() != null
                  && !g.getStatus().getAddresses().isEmpty();
            });
    String address = gateway().getStatus().getAddresses().get(0).getValue();
    assertThat(address).startsWith("10.73.1.");

    // Header routing through the waypoint's Envoy (it needs its certificate and config first).
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> get("x-version: v2").contains("hello from echo-v2"));
    assertThat(get(null)).contains("hello from echo-v1");
    // The waypoint's Envoy answered (it adds its own headers); ztunnel alone would not.
    assertThat(get(null).toLowerCase()).contains("x-envoy-upstream-service-time");

    // A waypoint whose processes die is restarted (the store did not change).
    WaypointGateway gw =
        new WaypointGateway("demo", "wp", "", "ambient-waypoint", Map.of(), Map.of());
    String netns = lab.nodes().get(0).netns() + "-w" + NetnsWaypoints.shortHash(gw.nodeId());
    for (String pid : dev.ambient.netlab.Exec.run("ip", "netns", "pids", netns).split("\n")) {
      if (!pid.isBlank()) {
        ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> get("x-version: v2").contains("hello from echo-v2"));

    // delete -f of the route: v2's header no longer matters.
    LocalStore.Outcome deleted = store.delete(reader.parse(ROUTE, "route.yaml").objects());
    assertThat(deleted.lines())
        .containsExactly("httproute.gateway.networking.k8s.io/by-header deleted");
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> get("x-version: v2").contains("hello from echo-v1"));

    // Deleting the Gateway stops the waypoint and removes its namespace.
    assertThat(Files.exists(Path.of("/var/run/netns", netns))).isTrue();
    store.delete(reader.parse(LocalStoreTest.WAYPOINT, "gw.yaml").objects());
    await().atMost(WAIT).until(() -> !Files.exists(Path.of("/var/run/netns", netns)));
  }
}
