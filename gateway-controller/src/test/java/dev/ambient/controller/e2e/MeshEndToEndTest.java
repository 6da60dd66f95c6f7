package dev.ambient.controller.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.ca.BootstrapTokens;
import dev.ambient.controller.ca.CaServer;
import dev.ambient.controller.ca.CertificateAuthority;
import dev.ambient.controller.ca.NodeAuthorizer;
import dev.ambient.controller.ca.RootStore;
import dev.ambient.ztunnel.app.ZtunnelApp;
import dev.ambient.ztunnel.config.ConfigWatcher;
import dev.ambient.ztunnel.identity.CaClient;
import dev.ambient.ztunnel.identity.CaClientConfig;
import dev.ambient.ztunnel.identity.CaRequestException;
import dev.ambient.ztunnel.metrics.Logfmt;
import dev.ambient.ztunnel.state.StateHolder;
import dev.ambient.ztunnel.testing.SocksClient;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.TestBackend;
import io.grpc.Status;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The whole L4 mesh with every real part: the CA over gRPC/TLS reading the mesh file, two ztunnels
 * started exactly as {@code mesh ztunnel} starts them (certificates by CSR with node tokens, real
 * L4 policy, real Prometheus metrics, config reload), real sockets on 127.x addresses. The steps
 * build on each other, so they run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MeshEndToEndTest {
  private static final String TD = "cluster.local";
  private static final SpiffeId SLEEP = SpiffeId.of(TD, "default", "sleep");
  private static final SpiffeId INTRUDER = SpiffeId.of(TD, "other", "intruder");
  private static final SpiffeId ECHO = SpiffeId.of(TD, "default", "echo");

  @TempDir static Path dir;

  private final InetAddress caIp = TestAddresses.next();
  private final InetAddress nodeAIp = TestAddresses.next();
  private final InetAddress nodeBIp = TestAddresses.next();
  private final InetAddress sleepIp = TestAddresses.next();
  private final InetAddress intruderIp = TestAddresses.next();
  private final InetAddress echoIp = TestAddresses.next();
  private final InetAddress vip = TestAddresses.next();
  private final HttpClient http = HttpClient.newHttpClient();
  private final ListAppender<ILoggingEvent> accessLog = new ListAppender<>();

  private Path config;
  private RootStore roots;
  private CaServer ca;
  private ConfigWatcher caView;
  private TestBackend echo;
  private ZtunnelApp nodeA;
  private ZtunnelApp nodeB;

  @BeforeAll
  void startMesh() throws Exception {
    ((Logger) LoggerFactory.getLogger("access")).addAppender(accessLog);
    accessLog.start();
    echo = new TestBackend(echoIp, TestBackend.Mode.ECHO, "echo");
    config = dir.resolve("mesh.yaml");
    Files.writeString(config, meshYaml(""));

    Path caState = dir.resolve("ca");
    roots = RootStore.open(caState, TD);
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
    nodeA = ztunnel("node-a", nodeAIp, BootstrapTokens.issue(caState, "node-a", null));
    nodeB = ztunnel("node-b", nodeBIp, BootstrapTokens.issue(caState, "node-b", null));
    await().atMost(Duration.ofSeconds(30)).until(() -> nodeA.isReady() && nodeB.isReady());
  }

  private ZtunnelApp ztunnel(String node, InetAddress ip, Path token) throws Exception {
    return ZtunnelApp.start(
        new ZtunnelApp.Settings(
            config,
            node,
            TD,
            new InetSocketAddress(caIp, ca.port()),
            roots.trustBundlePath(),
            token,
            Duration.ofHours(1),
            new InetSocketAddress(ip, 15080),
            new InetSocketAddress(ip, 15000),
            new InetSocketAddress(ip, 15020),
            new InetSocketAddress(ip, 15021),
            15008,
            2));
  }

  @AfterAll
  void stopMesh() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {nodeA, nodeB, ca, caView, echo}) {
      if (c != null) {
        c.close();
      }
    }
    ((Logger) LoggerFactory.getLogger("access")).detachAppender(accessLog);
  }

  @Test
  @Order(1)
  void eightMegabytesThroughTheServiceVipArriveIntactAndAreCountedExactly() throws Exception {
    byte[] payload = new byte[8 << 20];
    new Random(7).nextBytes(payload);
    try (Socket s = SocksClient.connect(sleepIp, socks(nodeAIp), new InetSocketAddress(vip, 80))) {
      assertThat(echoRoundTrip(s, payload)).isEqualTo(sha256(payload));
    }
    String inbound = "reporter=\"destination\"";
    String fromSleep = "source_principal=\"" + SLEEP.uri() + "\"";
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              Map<String, Double> b = scrape(nodeBIp);
              assertThat(
                      sum(
                          b,
                          "istio_tcp_received_bytes_total",
                          inbound,
                          fromSleep,
                          "destination_principal=\"" + ECHO.uri() + "\"",
                          "connection_security_policy=\"mutual_tls\""))
                  .isEqualTo(payload.length);
              assertThat(sum(b, "istio_tcp_sent_bytes_total", inbound, fromSleep))
                  .isEqualTo(payload.length);
              assertThat(sum(b, "istio_tcp_connections_closed_total", inbound, fromSleep))
                  .isEqualTo(1);
              Map<String, Double> a = scrape(nodeAIp);
              assertThat(
                      sum(
                          a,
                          "istio_tcp_received_bytes_total",
                          "reporter=\"source\"",
                          fromSleep,
                          "destination_service=\"echo.default.svc.cluster.local\""))
                  .isEqualTo(payload.length);
            });
    Map<String, String> line = accessLine("inbound", SLEEP);
    assertThat(line.get("dst.workload")).isEqualTo("echo");
    assertThat(line.get("flags")).isEqualTo("-");
    assertThat(Long.parseLong(line.get("bytes_sent")) + Long.parseLong(line.get("bytes_recv")))
        .isEqualTo(2L * payload.length);
  }

  @Test
  @Order(2)
  void anAllowPolicyAdmitsOnlyItsPrincipalAndTheDenialIsReported() throws Exception {
    long before = nodeB.state().current().version();
    Files.writeString(
        config,
        meshYaml(
            """
            authorizationPolicies:
            - metadata: {name: only-sleep, namespace: default}
              spec:
                selector: {matchLabels: {app: echo}}
                action: ALLOW
                rules:
                - from:
                  - source: {principals: [cluster.local/ns/default/sa/sleep]}
            """));
    await().atMost(Duration.ofSeconds(15)).until(() -> nodeB.state().current().version() > before);

    assertThat(callVip(sleepIp)).isEqualTo(0);
    assertThat(callVip(intruderIp)).isNotZero();
    Map<String, String> denied = accessLine("inbound", INTRUDER);
    assertThat(denied.get("flags")).isEqualTo("DENY");
    assertThat(denied.get("error")).contains("no ALLOW policy matched");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        sum(
                            scrape(nodeBIp),
                            "istio_tcp_connections_closed_total",
                            "source_principal=\"" + INTRUDER.uri() + "\"",
                            "response_flags=\"DENY\""))
                    .isEqualTo(1));
  }

  @Test
  @Order(3)
  void aDenyOnThePortWinsOverTheAllow() throws Exception {
    long before = nodeB.state().current().version();
    Files.writeString(
        config,
        meshYaml(
            """
            authorizationPolicies:
            - metadata: {name: only-sleep, namespace: default}
              spec:
                selector: {matchLabels: {app: echo}}
                action: ALLOW
                rules:
                - from:
                  - source: {principals: [cluster.local/ns/default/sa/sleep]}
            - metadata: {name: no-echo-port, namespace: default}
              spec:
                action: DENY
                rules:
                - to:
                  - operation: {ports: ["%d"]}
            """
                .formatted(echo.port())));
    await().atMost(Duration.ofSeconds(15)).until(() -> nodeB.state().current().version() > before);
    assertThat(callVip(sleepIp)).isNotZero();
    assertThat(accessLine("inbound", SLEEP).get("error"))
        .isEqualTo("denied by policy default/no-echo-port");
  }

  @Test
  @Order(4)
  void aBrokenConfigEditKeepsTheLastGoodConfig() throws Exception {
    long version = nodeB.state().current().version();
    Files.writeString(
        config,
        meshYaml("")
            .replace(
                "addresses: [" + echoIp.getHostAddress() + "]",
                "addresses: " + echoIp.getHostAddress() + "x"));
    Thread.sleep(2500); // two poll periods of the watcher: the edit has been seen and refused
    assertThat(nodeB.state().current().version()).isEqualTo(version);
    assertThat(callVip(sleepIp)).as("the DENY of the last good config still holds").isNotZero();
  }

  @Test
  @Order(5)
  void theCaRefusesANodeACertificateForAWorkloadOnAnotherNode() throws Exception {
    try (CaClient client =
        CaClient.create(
            new CaClientConfig(
                caIp.getHostAddress(),
                ca.port(),
                roots.trustBundlePath(),
                BootstrapTokens.defaultTokenFile(dir.resolve("ca"), "node-a"),
                TD))) {
      assertThat(client.fetch(SLEEP).get(20, TimeUnit.SECONDS).identity()).isEqualTo(SLEEP);
      assertThatThrownBy(() -> client.fetch(ECHO).get(20, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(CaRequestException.class)
          .satisfies(
              e ->
                  assertThat(((CaRequestException) e).code())
                      .isEqualTo(Status.Code.PERMISSION_DENIED))
          .hasMessageContaining("node-a")
          .hasMessageContaining(ECHO.uri());
    }
  }

  @Test
  @Order(6)
  void theConfigDumpShowsOnlyThisNodesCertificatesAndNoKeys() throws Exception {
    String dump =
        http.send(
                HttpRequest.newBuilder(
                        URI.create("http://" + nodeAIp.getHostAddress() + ":15000/config_dump"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(dump).contains(SLEEP.uri()).contains(INTRUDER.uri());
    assertThat(dump).doesNotContain("PRIVATE KEY").doesNotContain("BEGIN");
    assertThat(dump.split("\"certificates\"")[1]).doesNotContain(ECHO.uri());
  }

  // --- helpers -------------------------------------------------------------------------------

  private String meshYaml(String policies) {
    return """
        trustDomain: cluster.local
        workloads:
        - {name: sleep, namespace: default, serviceAccount: sleep, node: node-a, addresses: [%s]}
        - {name: intruder, namespace: other, serviceAccount: intruder, node: node-a, addresses: [%s]}
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
                intruderIp.getHostAddress(),
                echoIp.getHostAddress(),
                vip.getHostAddress(),
                echo.port())
        + policies;
  }

  /** SOCKS5 CONNECT to the VIP from a workload's address; the reply code, 0 on success. */
  private int callVip(InetAddress source) throws Exception {
    try (Socket s = SocksClient.open(source, socks(nodeAIp))) {
      int reply = SocksClient.request(s, new InetSocketAddress(vip, 80));
      if (reply == 0) {
        byte[] ping = "ping".getBytes();
        assertThat(echoRoundTrip(s, ping)).isEqualTo(sha256(ping));
      }
      return reply;
    }
  }

  private static InetSocketAddress socks(InetAddress nodeIp) {
    return new InetSocketAddress(nodeIp, 15080);
  }

  /** Writes on a second thread while reading the echo, so large payloads cannot deadlock. */
  private static String echoRoundTrip(Socket s, byte[] payload) throws Exception {
    OutputStream out = s.getOutputStream();
    Thread writer =
        new Thread(
            () -> {
              try {
                out.write(payload);
                out.flush();
              } catch (IOException e) {
                // The read side fails too and reports it.
              }
            });
    writer.start();
    byte[] back = new byte[payload.length];
    new DataInputStream(s.getInputStream()).readFully(back);
    writer.join();
    return sha256(back);
  }

  private static String sha256(byte[] b) throws Exception {
    return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private Map<String, Double> scrape(InetAddress nodeIp) throws Exception {
    String body =
        http.send(
                HttpRequest.newBuilder(
                        URI.create("http://" + nodeIp.getHostAddress() + ":15020/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Map<String, Double> out = new java.util.LinkedHashMap<>();
    for (String line : body.split("\n")) {
      if (!line.startsWith("#") && !line.isBlank()) {
        int space = line.lastIndexOf(' ');
        out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    return out;
  }

  /** Sum of every series of a metric whose labels contain all the given {@code k="v"} pairs. */
  private static double sum(Map<String, Double> metrics, String name, String... labels) {
    double total = 0;
    for (Map.Entry<String, Double> e : metrics.entrySet()) {
      String series = e.getKey();
      if (!series.startsWith(name + "{")) {
        continue;
      }
      boolean all = true;
      for (String l : labels) {
        all &= series.contains(l);
      }
      if (all) {
        total += e.getValue();
      }
    }
    return total;
  }

  /** The newest access-log line for a direction and source identity (waits for it). */
  private Map<String, String> accessLine(String direction, SpiffeId source) {
    return await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              List<ILoggingEvent> events = List.copyOf(accessLog.list);
              for (int i = events.size() - 1; i >= 0; i--) {
                Map<String, String> kv = Logfmt.parse(events.get(i).getFormattedMessage());
                if (direction.equals(kv.get("direction"))
                    && source.uri().equals(kv.get("src.identity"))) {
                  return kv;
                }
              }
              return null;
            },
            java.util.Objects::nonNull);
  }
}
