package dev.ambient.ztunnel.inpod;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.testing.DenyPrincipalsAuthorizer;
import dev.ambient.ztunnel.testing.TestBackend;
import dev.ambient.ztunnel.testing.TestCertificates;
import dev.ambient.ztunnel.testing.TestMesh;
import dev.ambient.ztunnel.testing.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AddPod / DelPod / SnapshotSent against real namespaces: where the listeners are, that a removal
 * leaves no listener and no file descriptor behind, and the inbound plaintext path through 15006
 * with the destination read from SO_ORIGINAL_DST.
 */
@Tag("root")
class InPodManagerTest {
  @TempDir Path dir;
  NetnsPair pair;
  NetTransport transport;
  InPodNode node;
  Workload pod;

  @BeforeEach
  void setUp() throws Exception {
    Assumptions.assumeTrue(NetnsPair.isRoot(), "skipped: needs root for network namespaces");
    transport = NetTransport.create(1);
    Assumptions.assumeTrue(
        "io_uring".equals(transport.name()),
        "skipped: in-pod mode needs io_uring, transport is " + transport.name());
    pair = new NetnsPair();
    pod = TestMesh.workload("pod-b", "node-b", pair.ipB);
    node =
        new InPodNode(
            "node-b",
            TestMesh.state(List.of(pod), List.of()),
            transport,
            new TestCertificates(new TestPki(TestMesh.TRUST_DOMAIN)),
            new DenyPrincipalsAuthorizer(),
            dir.resolve("ztunnel.sock"),
            Duration.ofMillis(200));
  }

  @AfterEach
  void tearDown() {
    if (node != null) {
      node.close();
    }
    if (transport != null) {
      transport.shutdown();
    }
    if (pair != null) {
      pair.close();
    }
  }

  CniMessage.AddPod add(String netns) {
    return new CniMessage.AddPod(
        pod.uid(), "default", "pod-b", "pod-b-sa", netns, List.of(pair.ipB.getHostAddress()));
  }

  /** Listening sockets as {@code any:port} ("*" and "0.0.0.0" both mean every address). */
  static Set<String> listening(String ns) throws IOException {
    Set<String> ports = new TreeSet<>();
    for (String line : NetnsPair.exec(ns, "ss", "-Htln").split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4) {
        ports.add(f[3].replaceFirst("^(\\*|0\\.0\\.0\\.0|\\[::\\]):", "any:"));
      }
    }
    return ports;
  }

  static long openFds() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  @Test
  void addOpensTheThreePortsInsideThePodAndReAddReplacesThem() throws Exception {
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.send(add(NetnsPair.path(pair.b).toString())))
          .isEqualTo(CniMessage.Ack.success());
      assertThat(listening(pair.b)).containsExactly("any:15001", "any:15006", "any:15008");
      assertThat(listening(pair.a)).isEmpty();
      assertThat(cni.send(add(NetnsPair.path(pair.b).toString())))
          .isEqualTo(CniMessage.Ack.success());
      assertThat(listening(pair.b)).containsExactly("any:15001", "any:15006", "any:15008");
      assertThat(node.manager.pods()).containsExactly(pod.uid());
      // HBONE is reachable from outside the pod at its own IP.
      try (Socket s =
          Netns.runIn(
              NetnsPair.path(pair.a),
              () -> {
                Socket c = new Socket();
                c.connect(new InetSocketAddress(pair.ipB, 15008), 5000);
                return c;
              })) {
        assertThat(s.isConnected()).isTrue();
      }
    }
  }

  @Test
  void aPodDiscoveryDoesNotKnowYetIsRefusedFromAFileAndServedFromTheCniFactsInACluster()
      throws Exception {
    String netns = NetnsPair.path(pair.b).toString();
    CniMessage.AddPod early =
        new CniMessage.AddPod(
            "Kubernetes//Pod/shop/new",
            "shop",
            "new",
            "new-sa",
            netns,
            List.of(pair.ipB.getHostAddress()));
    assertThat(node.manager.add(early).ok()).isFalse();

    try (InPodManager cluster =
        new InPodManager(node.listeners, Duration.ofMillis(200), TestMesh.TRUST_DOMAIN)) {
      assertThat(cluster.add(early)).isEqualTo(CniMessage.Ack.success());
      assertThat(cluster.served(early.uid()).identity().uri())
          .isEqualTo("spiffe://" + TestMesh.TRUST_DOMAIN + "/ns/shop/sa/new-sa");
      assertThat(listening(pair.b)).containsExactly("any:15001", "any:15006", "any:15008");
      CniMessage.AddPod garbage =
          new CniMessage.AddPod(
              "Kubernetes//Pod/shop/bad", "shop", "bad", "sa", netns, List.of("example.com"));
      assertThat(cluster.add(garbage).error()).contains("field ips");
      assertThat(cluster.delete(early.uid()).ok()).isTrue();
      cluster.awaitRemoved().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void delAndSnapshotCloseEverythingTheyOpened() throws Exception {
    String netns = NetnsPair.path(pair.b).toString();
    // One cycle first: event loops and JNA open their fds lazily, once.
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.send(add(netns)).ok()).isTrue();
      assertThat(cni.send(new CniMessage.DelPod(pod.uid())).ok()).isTrue();
    }
    node.manager.awaitRemoved().get(10, TimeUnit.SECONDS);
    awaitNoClients();
    long baseline = openFds();

    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.send(add(netns)).ok()).isTrue();
      assertThat(cni.send(new CniMessage.DelPod(pod.uid())).ok()).isTrue();
      assertThat(listening(pair.b)).isEmpty();
      assertThat(node.manager.pods()).isEmpty();
      // Deleting again is harmless.
      assertThat(cni.send(new CniMessage.DelPod(pod.uid())).ok()).isTrue();
      assertThat(cni.send(add(netns)).ok()).isTrue();
    }
    // A new CNI connection (CNI agent restarted) re-sends nothing: the pod is gone.
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.send(new CniMessage.SnapshotSent()).ok()).isTrue();
    }
    assertThat(node.manager.pods()).isEmpty();
    assertThat(listening(pair.b)).isEmpty();
    node.manager.awaitRemoved().get(10, TimeUnit.SECONDS);
    awaitNoClients();
    assertThat(awaitFds(baseline)).isEqualTo(baseline);
  }

  @Test
  void snapshotKeepsPodsResentOnThatConnection() throws Exception {
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.send(add(NetnsPair.path(pair.b).toString())).ok()).isTrue();
    }
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.send(add(NetnsPair.path(pair.b).toString())).ok()).isTrue();
      assertThat(cni.send(new CniMessage.SnapshotSent()).ok()).isTrue();
    }
    assertThat(node.manager.pods()).containsExactly(pod.uid());
  }

  @Test
  void namespaceDeletedWhileHeldIsReleasedCleanly() throws Exception {
    String extra = pair.a + "x";
    NetnsPair.run("ip", "netns", "add", extra);
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.send(add(NetnsPair.path(extra).toString())).ok()).isTrue();
      // The mount goes away (pod sandbox deleted); ztunnel's fd keeps the namespace alive.
      NetnsPair.run("ip", "netns", "del", extra);
      assertThat(node.manager.pods()).containsExactly(pod.uid());
      assertThat(cni.send(new CniMessage.DelPod(pod.uid())).ok()).isTrue();
      // Re-adding the dead path now fails cleanly.
      CniMessage.Ack again = cni.send(add(NetnsPair.path(extra).toString()));
      assertThat(again.ok()).isFalse();
      assertThat(again.error()).contains("field netns").contains("ENOENT");
    } finally {
      try {
        NetnsPair.run("ip", "netns", "del", extra);
      } catch (IOException e) {
        // already deleted by the test
      }
    }
    node.manager.awaitRemoved().get(10, TimeUnit.SECONDS);
    assertThat(node.manager.pods()).isEmpty();
  }

  @Test
  void plaintextToThePodGoesThrough15006ToTheApp() throws Exception {
    TestBackend app =
        Netns.runIn(
            NetnsPair.path(pair.b),
            () -> new TestBackend(pair.ipB, TestBackend.Mode.NAMED_ECHO, "app-b"));
    NetnsPair.exec(
        pair.b,
        "iptables",
        "-t",
        "nat",
        "-A",
        "PREROUTING",
        "-p",
        "tcp",
        "!",
        "--dport",
        "15008",
        "-j",
        "REDIRECT",
        "--to-ports",
        "15006");
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.send(add(NetnsPair.path(pair.b).toString())).ok()).isTrue();
      try (Socket s =
          Netns.runIn(
              NetnsPair.path(pair.a),
              () -> {
                Socket c = new Socket();
                c.connect(app.address(), 5000);
                return c;
              })) {
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        out.write("ping\n".getBytes());
        out.flush();
        s.shutdownOutput();
        assertThat(new String(in.readAllBytes())).isEqualTo("app-b\nping\n");
      }
      assertThat(node.metrics.toString()).isNotNull();
    } finally {
      app.close();
    }
  }

  /** io_uring closes a socket once its pending operations completed, after the close future. */
  private static long awaitFds(long expected) throws Exception {
    long n = openFds();
    for (int i = 0; i < 500 && n != expected; i++) {
      Thread.sleep(10);
      n = openFds();
    }
    return n;
  }

  @Test
  void podDeletedMidTransferIsDrainedThenCut() throws Exception {
    TestBackend app =
        Netns.runIn(
            NetnsPair.path(pair.b),
            () -> new TestBackend(pair.ipB, TestBackend.Mode.ECHO, "app-b"));
    NetnsPair.exec(
        pair.b,
        "iptables",
        "-t",
        "nat",
        "-A",
        "PREROUTING",
        "-p",
        "tcp",
        "!",
        "--dport",
        "15008",
        "-j",
        "REDIRECT",
        "--to-ports",
        "15006");
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.send(add(NetnsPair.path(pair.b).toString())).ok()).isTrue();
      try (Socket live = connectFromA(app.address())) {
        live.setSoTimeout(10_000);
        live.getOutputStream().write("one\n".getBytes());
        byte[] four = live.getInputStream().readNBytes(4);
        assertThat(new String(four)).isEqualTo("one\n");
        assertThat(node.manager.liveConnections(pod.uid())).isEqualTo(1);

        assertThat(cni.send(new CniMessage.DelPod(pod.uid())).ok()).isTrue();
        // Listeners are gone at once; the live connection is cut when the drain time is up.
        assertThat(listening(pair.b)).doesNotContain("any:15006");
        node.manager.awaitRemoved().get(10, TimeUnit.SECONDS);
        int end;
        try {
          end = live.getInputStream().read();
        } catch (java.net.SocketException reset) {
          end = -1;
        }
        assertThat(end).isEqualTo(-1);
      }
    } finally {
      app.close();
    }
  }

  @Test
  void identityChangeReopensTheListenersInTheSameNamespace() throws Exception {
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.send(add(NetnsPair.path(pair.b).toString())).ok()).isTrue();
    }
    Workload renamed =
        new Workload(
            pod.uid(),
            pod.name(),
            pod.namespace(),
            "renamed-sa",
            pod.node(),
            TestMesh.TRUST_DOMAIN,
            pod.addresses(),
            pod.protocol(),
            null,
            pod.name(),
            null,
            java.util.Map.of("app", "pod-b"));
    node.state.apply(TestMesh.state(List.of(renamed), List.of()));
    assertThat(node.manager.served(pod.uid()).identity()).isEqualTo(renamed.identity());
    assertThat(listening(pair.b)).containsExactly("any:15001", "any:15006", "any:15008");
    // HBONE answers with the new identity's listener.
    try (Socket s = connectFromA(new InetSocketAddress(pair.ipB, 15008))) {
      assertThat(s.isConnected()).isTrue();
    }
  }

  private Socket connectFromA(InetSocketAddress to) throws Exception {
    return Netns.runIn(
        NetnsPair.path(pair.a),
        () -> {
          Socket c = new Socket();
          c.connect(to, 5000);
          return c;
        });
  }

  private void awaitNoClients() throws InterruptedException {
    // The server notices a closed CNI connection on its own thread.
    for (int i = 0; i < 200 && node.server.openConnections() > 0; i++) {
      Thread.sleep(10);
    }
  }
}
