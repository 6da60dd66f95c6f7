package dev.ambient.controller.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.controller.ca.BootstrapTokens;
import dev.ambient.controller.ca.CertificateAuthority;
import dev.ambient.controller.ca.RootStore;
import dev.ambient.controller.server.ControllerServer;
import dev.ambient.controller.xds.FileSnapshotSource;
import dev.ambient.ztunnel.app.ZtunnelApp;
import dev.ambient.ztunnel.testing.SocksClient;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.TestBackend;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two ztunnels configured only by workload discovery from the controller (CA and WDS on one TLS
 * port), real sockets on 127.x addresses: readiness waits for discovery, traffic flows, an L4 DENY
 * edited into the controller's YAML reaches the destination ztunnel, and the ztunnels keep their
 * config while the controller is down and resync when it is back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WdsMeshEndToEndTest {
  private static final String TD = "cluster.local";

  @TempDir static Path dir;

  private final InetAddress controllerIp = TestAddresses.next();
  private final InetAddress nodeAIp = TestAddresses.next();
  private final InetAddress nodeBIp = TestAddresses.next();
  private final InetAddress sleepIp = TestAddresses.next();
  private final InetAddress echoIp = TestAddresses.next();
  private final InetAddress vip = TestAddresses.next();

  private Path config;
  private Path caState;
  private RootStore roots;
  private int port;
  private ControllerServer controller;
  private TestBackend echo;
  private ZtunnelApp nodeA;
  private ZtunnelApp nodeB;

  @BeforeAll
  void startZtunnels() throws Exception {
    echo = new TestBackend(echoIp, TestBackend.Mode.ECHO, "echo");
    config = dir.resolve("mesh.yaml");
    Files.writeString(config, meshYaml(""));
    caState = dir.resolve("ca");
    roots = RootStore.open(caState, TD);
    try (ServerSocket probe = new ServerSocket(0, 1, controllerIp)) {
      port = probe.getLocalPort(); // the controller's address is ours alone: the port stays free
    }
    nodeA = ztunnel("node-a", nodeAIp, BootstrapTokens.issue(caState, "node-a", null));
    nodeB = ztunnel("node-b", nodeBIp, BootstrapTokens.issue(caState, "node-b", null));
  }

  private ZtunnelApp ztunnel(String node, InetAddress ip, Path token) throws Exception {
    InetSocketAddress controllerAddress = new InetSocketAddress(controllerIp, port);
    return ZtunnelApp.start(
        new ZtunnelApp.Settings(
            null,
            node,
            TD,
            controllerAddress,
            roots.trustBundlePath(),
            token,
            Duration.ofHours(1),
            new InetSocketAddress(ip, 15080),
            new InetSocketAddress(ip, 15000),
            new InetSocketAddress(ip, 15020),
            new InetSocketAddress(ip, 15021),
            15008,
            2,
            null,
            null,
            controllerAddress,
            false));
  }

  private void startController() throws Exception {
    controller =
        ControllerServer.start(
            new ControllerServer.Settings(new InetSocketAddress(controllerIp, port), null),
            FileSnapshotSource.start(config, Duration.ofMillis(200)),
            new CertificateAuthority(roots, TD, Duration.ofHours(24)),
            BootstrapTokens.open(caState));
  }

  @AfterAll
  void stopAll() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {nodeA, nodeB, controller, echo}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  @Order(1)
  void ztunnelsAreNotReadyBeforeDiscoveryAndReadyAfterIt() throws Exception {
    assertThat(nodeA.isReady()).isFalse();
    assertThat(nodeB.isReady()).isFalse();
    assertThat(nodeB.state().current().workloads()).isEmpty();
    startController();
    await().atMost(Duration.ofSeconds(30)).until(() -> nodeA.isReady() && nodeB.isReady());
    assertThat(nodeB.state().current().workloadsOnNode("node-b")).hasSize(1);
  }

  @Test
  @Order(2)
  void trafficFlowsThroughTheServiceVip() throws Exception {
    assertThat(callVip()).isEqualTo("pong");
  }

  @Test
  @Order(3)
  void anL4DenyEditedIntoTheControllersYamlIsEnforced() throws Exception {
    Files.writeString(
        config,
        meshYaml(
            """
            authorizationPolicies:
            - metadata: {name: deny-sleep, namespace: default}
              spec:
                selector: {matchLabels: {app: echo}}
                action: DENY
                rules:
                - from: [{source: {principals: [cluster.local/ns/default/sa/sleep]}}]
            """));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> nodeB.state().current().policies().size() == 1);
    assertThat(callVip()).isNull();
  }

  @Test
  @Order(4)
  void ztunnelsKeepTheirConfigWhileTheControllerIsDownAndResyncAfter() throws Exception {
    controller.close();
    controller = null;
    await().atMost(Duration.ofSeconds(10)).until(() -> !nodeB.wds().connected());
    assertThat(callVip()).as("the DENY still holds").isNull();

    // While the controller is down, the policy is removed from its YAML.
    Files.writeString(config, meshYaml(""));
    startController();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> nodeB.wds().connected() && nodeB.state().current().policies().isEmpty());
    assertThat(callVip()).isEqualTo("pong");
  }

  private String meshYaml(String policies) {
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
            .formatted(
                sleepIp.getHostAddress(),
                echoIp.getHostAddress(),
                vip.getHostAddress(),
                echo.port())
        + policies;
  }

  /**
   * Sends "ping" from sleep to the VIP through node A's SOCKS5; the echo, or null if the mesh
   * refused the connection (SOCKS error, or closed without echoing).
   */
  private String callVip() throws Exception {
    try (Socket s = SocksClient.open(sleepIp, new InetSocketAddress(nodeAIp, 15080))) {
      s.setSoTimeout(20_000);
      if (SocksClient.request(s, new InetSocketAddress(vip, 80)) != 0) {
        return null;
      }
      OutputStream out = s.getOutputStream();
      out.write("pong".getBytes());
      out.flush();
      InputStream in = s.getInputStream();
      byte[] back = in.readNBytes(4);
      return back.length == 4 ? new String(back) : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }
}
