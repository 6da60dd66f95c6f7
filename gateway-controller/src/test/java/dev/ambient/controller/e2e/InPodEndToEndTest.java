package dev.ambient.controller.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.api.model.MeshState;
import dev.ambient.controller.ca.BootstrapTokens;
import dev.ambient.controller.ca.CaServer;
import dev.ambient.controller.ca.CertificateAuthority;
import dev.ambient.controller.ca.NodeAuthorizer;
import dev.ambient.controller.ca.RootStore;
import dev.ambient.netlab.NetLab;
import dev.ambient.netlab.Node;
import dev.ambient.netlab.Pod;
import dev.ambient.netlab.probe.PodProbe;
import dev.ambient.ztunnel.app.ZtunnelApp;
import dev.ambient.ztunnel.cni.CniClient;
import dev.ambient.ztunnel.cni.InPodRules;
import dev.ambient.ztunnel.config.ConfigWatcher;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import dev.ambient.ztunnel.state.StateHolder;
import dev.ambient.ztunnel.testing.TestAddresses;
import io.netty.channel.uring.IoUring;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * In-pod mode with every real part: the CA issuing certificates by CSR, two ztunnels started as
 * {@code mesh ztunnel --inpod-socket} starts them, the CNI step's rules and client, pods as network
 * namespaces on two linked nodes, and an unmodified client (bash {@code /dev/tcp}) in a pod.
 */
@Tag("root")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InPodEndToEndTest {
  private static final String TD = "cluster.local";
  private static final String VIP = "10.96.0.10";
  private static final int APP_PORT = 8080;

  @TempDir static Path dir;

  private final InetAddress caIp = TestAddresses.next();
  private final InetAddress nodeAIp = TestAddresses.next();
  private final InetAddress nodeBIp = TestAddresses.next();
  private final HttpClient http = HttpClient.newHttpClient();

  private NetLab lab;
  private Pod client;
  private Pod server;
  private Path config;
  private CaServer ca;
  private ConfigWatcher caView;
  private ZtunnelApp nodeA;
  private ZtunnelApp nodeB;

  @BeforeAll
  void start() throws Exception {
    Assumptions.assumeTrue(NetLab.isRoot(), "skipped: needs root for network namespaces");
    Assumptions.assumeTrue(
        IoUring.isAvailable(),
        "skipped: in-pod mode needs io_uring: " + IoUring.unavailabilityCause());
    lab = NetLab.create();
    Node a = lab.node("a", "10.71.1.0/24");
    Node b = lab.node("b", "10.71.2.0/24");
    lab.link(a, b);
    client = lab.pod(a, "sleep");
    server = lab.pod(b, "echo");
    PodProbe.startEcho(lab, server, APP_PORT, "echo");

    config = dir.resolve("mesh.yaml");
    Files.writeString(config, meshYaml());
    Path caState = dir.resolve("ca");
    RootStore roots = RootStore.open(caState, TD);
    StateHolder caMesh = new StateHolder(MeshState.EMPTY);
    caView = new ConfigWatcher(config, caMesh, Duration.ofMillis(200));
    caView.start();
    ca =
        new CaServer(
                new InetSocketAddress(caIp, 0),
                new CertificateAuthority(roots, TD, Duration.ofHours(24)),
                new NodeAuthorizer(caMesh::current),
                BootstrapTokens.open(caState))
            .start();
    nodeA = ztunnel("node-a", nodeAIp, roots, BootstrapTokens.issue(caState, "node-a", null));
    nodeB = ztunnel("node-b", nodeBIp, roots, BootstrapTokens.issue(caState, "node-b", null));
    await().atMost(Duration.ofSeconds(30)).until(() -> nodeA.isReady() && nodeB.isReady());
  }

  private ZtunnelApp ztunnel(String node, InetAddress ip, RootStore roots, Path token)
      throws Exception {
    return ZtunnelApp.start(
        new ZtunnelApp.Settings(
            config,
            node,
            TD,
            new InetSocketAddress(caIp, ca.port()),
            roots.trustBundlePath(),
            token,
            Duration.ofHours(1),
            null,
            new InetSocketAddress(ip, 15000),
            new InetSocketAddress(ip, 15020),
            new InetSocketAddress(ip, 15021),
            15008,
            2,
            dir.resolve(node + ".sock"),
            Duration.ofSeconds(1)));
  }

  @AfterAll
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {nodeA, nodeB, ca, caView, lab}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private String meshYaml() {
    return """
        trustDomain: cluster.local
        workloads:
        - {name: sleep, namespace: default, serviceAccount: sleep, node: node-a, addresses: [%s]}
        - name: echo
          namespace: default
          serviceAccount: echo
          node: node-b
          addresses: [%s]
          labels: {app: echo}
        services:
        - name: echo
          namespace: default
          vips: [%s]
          ports: [{port: 80, targetPort: %d}]
          endpoints: {app: echo}
        """
        .formatted(client.ip().getHostAddress(), server.ip().getHostAddress(), VIP, APP_PORT);
  }

  private static CniMessage.AddPod add(Pod pod, String name) {
    return new CniMessage.AddPod(
        "Kubernetes//Pod/default/" + name,
        "default",
        name,
        name,
        pod.netnsPath().toString(),
        List.of(pod.ip().getHostAddress()));
  }

  @Test
  void capturedClientReachesTheServiceThroughBothZtunnelsWithCaIssuedIdentities() throws Exception {
    // Readiness includes the CNI socket.
    HttpResponse<String> ready =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://" + nodeAIp.getHostAddress() + ":15021/healthz/ready"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);

    new InPodRules(client.netnsPath()).add();
    new InPodRules(server.netnsPath()).add();
    assertThat(
            CniClient.sendOne(
                dir.resolve("node-a.sock"), Duration.ofSeconds(10), add(client, "sleep")))
        .isEqualTo(CniMessage.Ack.success());
    assertThat(
            CniClient.sendOne(
                dir.resolve("node-b.sock"), Duration.ofSeconds(10), add(server, "echo")))
        .isEqualTo(CniMessage.Ack.success());

    assertThat(PodProbe.exchange(client, VIP, 80, "via-vip")).isEqualTo("echo via-vip");
    assertThat(PodProbe.exchange(client, server.ip().getHostAddress(), APP_PORT, "via-ip"))
        .isEqualTo("echo via-ip");

    String metrics =
        http.send(
                HttpRequest.newBuilder(
                        URI.create("http://" + nodeBIp.getHostAddress() + ":15020/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics)
        .contains("source_principal=\"spiffe://cluster.local/ns/default/sa/sleep\"")
        .contains("connection_security_policy=\"mutual_tls\"");
  }
}
