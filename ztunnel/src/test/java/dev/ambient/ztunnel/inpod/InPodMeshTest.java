package dev.ambient.ztunnel.inpod;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.config.MeshConfigLoader;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.netlab.NetLab;
import dev.ambient.netlab.Node;
import dev.ambient.netlab.Pod;
import dev.ambient.netlab.probe.PodProbe;
import dev.ambient.ztunnel.authz.L4Authorizer;
import dev.ambient.ztunnel.cni.InPodRules;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.testing.RecordingTcpMetrics;
import dev.ambient.ztunnel.testing.TestBackend;
import dev.ambient.ztunnel.testing.TestCertificates;
import dev.ambient.ztunnel.testing.TestMesh;
import dev.ambient.ztunnel.testing.TestPki;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Transparent capture end to end: two nodes (network namespaces linked by a veth), an in-process
 * ztunnel per node in in-pod mode, pods handed over through the CNI socket with the redirection
 * rules installed in them, and unmodified clients (bash {@code /dev/tcp} in the pod netns) talking
 * to a server process in another pod. No proxy settings anywhere in the apps.
 *
 * <pre>
 * node a: client (mesh, sa client), blocked (mesh, sa blocked), outside (not in the mesh)
 * node b: server (mesh, sa server, echo on 8080), service echo 10.96.0.10:80 -> server:8080
 * </pre>
 */
@Tag("root")
class InPodMeshTest {
  static final int APP_PORT = 8080;
  static final String VIP = "10.96.0.10";
  static final AtomicLong VERSION = new AtomicLong(1);

  static NetLab lab;
  static Node nodeA;
  static Node nodeB;
  static Pod client;
  static Pod blocked;
  static Pod outside;
  static Pod server;
  static NetTransport transport;
  static Path sockets;
  static InPodNode ztA;
  static InPodNode ztB;
  static TestCertificates certificates;

  @BeforeAll
  static void setUp() throws Exception {
    Assumptions.assumeTrue(NetLab.isRoot(), "skipped: needs root for network namespaces");
    transport = NetTransport.create(2);
    Assumptions.assumeTrue(
        "io_uring".equals(transport.name()),
        "skipped: in-pod mode needs io_uring, transport is " + transport.name());
    try {
      lab = NetLab.create();
      nodeA = lab.node("a", "10.71.1.0/24");
      nodeB = lab.node("b", "10.71.2.0/24");
      lab.link(nodeA, nodeB);
      client = lab.pod(nodeA, "client");
      blocked = lab.pod(nodeA, "blocked");
      outside = lab.pod(nodeA, "outside");
      server = lab.pod(nodeB, "server");
      PodProbe.startEcho(lab, server, APP_PORT, "b");

      certificates = new TestCertificates(new TestPki(TestMesh.TRUST_DOMAIN));
      sockets = Files.createTempDirectory("inpod-mesh");
      MeshState state = state("");
      ztA =
          new InPodNode(
              "node-a",
              state,
              transport,
              certificates,
              new L4Authorizer(),
              sockets.resolve("a.sock"),
              Duration.ofSeconds(1));
      ztB =
          new InPodNode(
              "node-b",
              state,
              transport,
              certificates,
              new L4Authorizer(),
              sockets.resolve("b.sock"),
              Duration.ofSeconds(1));

      // The CNI step: rules first, then the handoff (as Istio's CNI agent orders it).
      for (Pod p : List.of(client, blocked, server)) {
        new InPodRules(p.netnsPath()).add();
      }
      try (CniTestClient cni = new CniTestClient(ztA.server.path())) {
        assertThat(cni.send(add(client, "client"))).isEqualTo(CniMessage.Ack.success());
        assertThat(cni.send(add(blocked, "blocked"))).isEqualTo(CniMessage.Ack.success());
        assertThat(cni.send(new CniMessage.SnapshotSent()).ok()).isTrue();
      }
      try (CniTestClient cni = new CniTestClient(ztB.server.path())) {
        assertThat(cni.send(add(server, "server"))).isEqualTo(CniMessage.Ack.success());
      }
    } catch (Throwable t) {
      tearDown();
      throw t;
    }
  }

  @AfterAll
  static void tearDown() throws IOException {
    if (ztA != null) {
      ztA.close();
    }
    if (ztB != null) {
      ztB.close();
    }
    if (lab != null) {
      lab.close();
    }
    if (transport != null) {
      transport.shutdown();
    }
    if (sockets != null) {
      try (var s = Files.list(sockets)) {
        for (Path p : s.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(sockets);
    }
  }

  static String uid(String name) {
    return "test//Pod/default/" + name;
  }

  static CniMessage.AddPod add(Pod pod, String name) {
    return new CniMessage.AddPod(
        uid(name),
        "default",
        name,
        name,
        pod.netnsPath().toString(),
        List.of(pod.ip().getHostAddress()));
  }

  static String workload(String name, String node, Pod pod) {
    return "- {name: "
        + name
        + ", namespace: default, uid: \""
        + uid(name)
        + "\", serviceAccount: "
        + name
        + ", node: "
        + node
        + ", addresses: ["
        + pod.ip().getHostAddress()
        + "], labels: {app: "
        + name
        + "}}\n";
  }

  /** The mesh: three workloads, the echo service, a DENY for sa blocked, plus {@code extra}. */
  static MeshState state(String extraPolicies) throws Exception {
    String yaml =
        "workloads:\n"
            + workload("client", "node-a", client)
            + workload("blocked", "node-a", blocked)
            + workload("server", "node-b", server)
            + "services:\n"
            + "- {name: echo, namespace: default, vips: ["
            + VIP
            + "], ports: [{port: 80, targetPort: "
            + APP_PORT
            + "}], endpoints: [\""
            + uid("server")
            + "\"]}\n"
            + "authorizationPolicies:\n"
            + "- metadata: {name: deny-blocked, namespace: default}\n"
            + "  spec:\n"
            + "    selector: {matchLabels: {app: server}}\n"
            + "    action: DENY\n"
            + "    rules: [{from: [{source: {principals: [cluster.local/ns/default/sa/blocked]}}]}]\n"
            + extraPolicies;
    return MeshState.of(MeshConfigLoader.parse(yaml, "in-pod test"), VERSION.incrementAndGet());
  }

  static void applyEverywhere(MeshState s) {
    ztA.state.apply(s);
    ztB.state.apply(s);
  }

  static String marker(String what) {
    return what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The first inbound connection node b recorded from {@code peer} ({@code null}: plaintext). */
  static RecordingTcpMetrics.Recorded inboundAtB(SpiffeId peer) {
    for (RecordingTcpMetrics.Recorded r : ztB.metrics.connections) {
      if ("inbound".equals(r.labels.direction())
          && java.util.Objects.equals(r.labels.sourcePrincipal(), peer)) {
        return r;
      }
    }
    return null;
  }

  @Test
  void meshClientReachesServerByPodIpAndServiceVipWithOnlyTlsOnTheNodeLink() throws Exception {
    String byIp = marker("secret-by-ip");
    String byVip = marker("secret-by-vip");
    byte[] pcap;
    try (LinkCapture capture = new LinkCapture(nodeA, lab.linkDevice(nodeA, nodeB))) {
      assertThat(PodProbe.exchange(client, server.ip().getHostAddress(), APP_PORT, byIp))
          .isEqualTo("b " + byIp);
      assertThat(PodProbe.exchange(client, VIP, 80, byVip)).isEqualTo("b " + byVip);
      pcap = capture.stop();
    }
    // The tunnel crossed the link (HBONE to the server pod's 15008), and never in clear text.
    List<LinkCapture.Segment> segments = LinkCapture.tcpPayloadSegments(pcap);
    assertThat(segments).isNotEmpty();
    assertThat(segments)
        .allSatisfy(s -> assertThat(List.of(s.sourcePort(), s.destinationPort())).contains(15008));
    assertThat(LinkCapture.contains(pcap, byIp)).isFalse();
    assertThat(LinkCapture.contains(pcap, byVip)).isFalse();
    assertThat(LinkCapture.contains(pcap, "b " + byIp)).isFalse();
    // Node b saw the client's own identity over mTLS.
    SpiffeId clientId = SpiffeId.of("cluster.local", "default", "client");
    assertThat(inboundAtB(clientId)).isNotNull();
    assertThat(inboundAtB(clientId).labels.mutualTls()).isTrue();
  }

  @Test
  void policyDecidesByTheClientPodsIdentity() throws Exception {
    String m = marker("from-blocked");
    // Accepted by the capture, then the tunnel is refused at node b: the app's connection is cut
    // (closed or reset) without an answer.
    assertThat(PodProbe.exchange(blocked, server.ip().getHostAddress(), APP_PORT, m))
        .doesNotContain("b " + m);
    SpiffeId blockedId = SpiffeId.of("cluster.local", "default", "blocked");
    RecordingTcpMetrics.Recorded denied = inboundAtB(blockedId);
    assertThat(denied).isNotNull();
    assertThat(denied.flags).isEqualTo("DENY");
    assertThat(denied.error).contains("default/deny-blocked");
    // The same server still serves the allowed identity.
    String ok = marker("from-client");
    assertThat(PodProbe.exchange(client, server.ip().getHostAddress(), APP_PORT, ok))
        .isEqualTo("b " + ok);
  }

  @Test
  void podOutsideTheMeshReachesServerInPlaintextThrough15006UnderPolicy() throws Exception {
    String plain = marker("plaintext");
    byte[] pcap;
    try (LinkCapture capture = new LinkCapture(nodeA, lab.linkDevice(nodeA, nodeB))) {
      assertThat(PodProbe.exchange(outside, server.ip().getHostAddress(), APP_PORT, plain))
          .isEqualTo("b " + plain);
      pcap = capture.stop();
    }
    // Without the mesh the payload is visible on the link: the capture would have seen a leak.
    assertThat(LinkCapture.contains(pcap, plain)).isTrue();
    assertThat(LinkCapture.tcpPayloadSegments(pcap))
        .anySatisfy(seg -> assertThat(seg.destinationPort()).isEqualTo(APP_PORT));
    RecordingTcpMetrics.Recorded r = inboundAtB(null);
    assertThat(r).isNotNull();
    assertThat(r.labels.mutualTls()).isFalse();

    // DENY callers without an identity: the plaintext path is subject to it.
    MeshState before = ztB.state.current();
    applyEverywhere(
        state(
            "- metadata: {name: deny-plaintext, namespace: default}\n"
                + "  spec:\n"
                + "    selector: {matchLabels: {app: server}}\n"
                + "    action: DENY\n"
                + "    rules: [{from: [{source: {notPrincipals: [\"*\"]}}]}]\n"));
    try {
      String refused = marker("p");
      assertThat(PodProbe.exchange(outside, server.ip().getHostAddress(), APP_PORT, refused))
          .doesNotContain("b " + refused);
      assertThat(ztB.metrics.connections)
          .anySatisfy(
              c -> {
                assertThat(c.labels.sourcePrincipal()).isNull();
                assertThat(c.flags).isEqualTo("DENY");
                assertThat(c.error).contains("default/deny-plaintext");
              });
      String ok = marker("mesh-still-ok");
      assertThat(PodProbe.exchange(client, server.ip().getHostAddress(), APP_PORT, ok))
          .isEqualTo("b " + ok);
    } finally {
      applyEverywhere(before);
    }
  }

  @Test
  void delPodClosesItsListenersAndADeadNetnsIsRefused() throws Exception {
    Pod late = lab.pod(nodeB, "late");
    try (CniTestClient cni = new CniTestClient(ztB.server.path())) {
      MeshState before = ztB.state.current();
      applyEverywhere(
          MeshState.of(
              MeshConfigLoader.parse(
                  "workloads:\n"
                      + workload("client", "node-a", client)
                      + workload("blocked", "node-a", blocked)
                      + workload("server", "node-b", server)
                      + workload("late", "node-b", late),
                  "late"),
              VERSION.incrementAndGet()));
      try {
        assertThat(cni.send(add(late, "late")).ok()).isTrue();
        assertThat(late.exec("ss", "-Htln"))
            .contains(":15001")
            .contains(":15006")
            .contains(":15008");
        assertThat(cni.send(new CniMessage.DelPod(uid("late"))).ok()).isTrue();
        assertThat(late.exec("ss", "-Htln")).doesNotContain(":15001").doesNotContain(":15008");
        lab.deletePod(late);
        CniMessage.Ack dead = cni.send(add(late, "late"));
        assertThat(dead.ok()).isFalse();
        assertThat(dead.error()).contains("field netns").contains(late.netnsPath().toString());
        assertThat(ztB.manager.pods()).containsExactly(uid("server"));
      } finally {
        applyEverywhere(before);
      }
    }
  }

  @Test
  void bulkTransferThroughTheCaptureArrivesIntact() throws Exception {
    TestBackend echo =
        Netns.runIn(
            server.netnsPath(),
            () -> new TestBackend(server.ip(), 9090, TestBackend.Mode.ECHO, "bulk"));
    try (Socket s =
        Netns.runIn(
            client.netnsPath(),
            () -> {
              // An ordinary socket in pod A: no proxy, the pod's rules send it to ztunnel.
              Socket c = new Socket();
              c.connect(new InetSocketAddress(server.ip(), 9090), 10_000);
              return c;
            })) {
      s.setSoTimeout(30_000);
      byte[] payload = new byte[4 * 1024 * 1024];
      new Random(42).nextBytes(payload);
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                try {
                  s.getOutputStream().write(payload);
                  s.shutdownOutput();
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      byte[] back = s.getInputStream().readAllBytes();
      writer.get(30, TimeUnit.SECONDS);
      String sent = sha256(payload);
      assertThat(sha256(back)).isEqualTo(sent);
      assertThat(echo.receivedDigests).contains(sent);
    } finally {
      echo.close();
    }
  }

  @Test
  void ztunnelRestartCutsOldConnectionsAndResumesAfterTheCniResends() throws Exception {
    try (Socket old =
        Netns.runIn(
            client.netnsPath(),
            () -> {
              Socket c = new Socket();
              c.connect(new InetSocketAddress(server.ip(), APP_PORT), 10_000);
              return c;
            })) {
      old.setSoTimeout(30_000);
      old.getOutputStream().write("before\n".getBytes(StandardCharsets.UTF_8));
      BufferedReader in =
          new BufferedReader(new InputStreamReader(old.getInputStream(), StandardCharsets.UTF_8));
      assertThat(in.readLine()).isEqualTo("b before");

      MeshState state = ztA.state.current();
      Path socket = ztA.server.path();
      ztA.close();
      ztA = null;
      // The old ztunnel's sockets are gone: the open connection ends, and nothing listens in the
      // pod.
      try {
        assertThat(in.readLine()).isNull();
      } catch (SocketException reset) {
        // a reset is as good as an end
      }
      assertThat(client.exec("ss", "-Htln")).doesNotContain(":15001");

      ztA =
          new InPodNode(
              "node-a",
              state,
              transport,
              certificates,
              new L4Authorizer(),
              socket,
              Duration.ofSeconds(1));
      try (CniTestClient cni = new CniTestClient(socket)) {
        assertThat(cni.send(add(client, "client")).ok()).isTrue();
        assertThat(cni.send(add(blocked, "blocked")).ok()).isTrue();
        assertThat(cni.send(new CniMessage.SnapshotSent()).ok()).isTrue();
      }
      String after = marker("after-restart");
      assertThat(PodProbe.exchange(client, server.ip().getHostAddress(), APP_PORT, after))
          .isEqualTo("b " + after);
    }
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
