package dev.ambient.ztunnel.inpod;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.inpod.protocol.CniCodec;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.testing.DenyPrincipalsAuthorizer;
import dev.ambient.ztunnel.testing.TestCertificates;
import dev.ambient.ztunnel.testing.TestMesh;
import dev.ambient.ztunnel.testing.TestPki;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CNI socket: line framing, bad input, refusals that need no namespace. */
class InPodServerTest {
  @TempDir Path dir;
  NetTransport transport;
  InPodNode node;
  Workload pod;

  @BeforeEach
  void setUp() throws Exception {
    transport = NetTransport.create(1);
    Assumptions.assumeTrue(
        "io_uring".equals(transport.name()),
        "skipped: in-pod mode needs io_uring, transport is " + transport.name());
    pod = TestMesh.workload("pod-b", "node-b", InetAddress.getByName("10.99.0.5"));
    Workload elsewhere = TestMesh.workload("pod-a", "node-a", InetAddress.getByName("10.99.1.5"));
    node =
        new InPodNode(
            "node-b",
            TestMesh.state(List.of(pod, elsewhere), List.of()),
            transport,
            new TestCertificates(new TestPki(TestMesh.TRUST_DOMAIN)),
            new DenyPrincipalsAuthorizer(),
            dir.resolve("run/ztunnel.sock"),
            Duration.ofSeconds(1));
  }

  @AfterEach
  void tearDown() {
    if (node != null) {
      node.close();
    }
    if (transport != null) {
      transport.shutdown();
    }
  }

  static CniMessage.AddPod add(String uid, String netns) {
    return new CniMessage.AddPod(uid, "default", "x", "x-sa", netns, List.of("10.99.0.5"));
  }

  @Test
  void badLinesAreAnsweredAndTheConnectionStaysUsable() throws Exception {
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.sendLine("{\"type\":\"del\"}"))
          .isEqualTo(CniMessage.Ack.failure("field uid: missing"));
      assertThat(cni.sendLine("not json").error()).contains("not valid JSON");
      assertThat(cni.sendLine("{\"type\":\"add\",\"uid\":1}").error()).contains("field uid");
      assertThat(cni.sendLine("x".repeat(CniCodec.MAX_LINE + 10)).error())
          .contains("longer than " + CniCodec.MAX_LINE);
      assertThat(cni.sendLine("{\"type\":\"jump\"}").error()).contains("field type");
      // Still answering, in order.
      assertThat(cni.send(new CniMessage.DelPod("test//Pod/default/none")).ok()).isTrue();
      assertThat(cni.send(new CniMessage.SnapshotSent()).ok()).isTrue();
    }
  }

  @Test
  void unknownPodIsRefusedNamingUidAndNode() throws Exception {
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      assertThat(cni.send(add("test//Pod/default/ghost", "/var/run/netns/none")))
          .isEqualTo(
              CniMessage.Ack.failure(
                  "unknown pod test//Pod/default/ghost: not a workload on node node-b"));
      // A workload of another node is not ours to serve either.
      assertThat(cni.send(add("test//Pod/default/pod-a", "/var/run/netns/none")).error())
          .isEqualTo("unknown pod test//Pod/default/pod-a: not a workload on node node-b");
      assertThat(node.manager.pods()).isEmpty();
    }
  }

  @Test
  void missingNetnsIsRefusedNamingTheField() throws Exception {
    try (CniTestClient cni = new CniTestClient(node.server.path())) {
      CniMessage.Ack ack = cni.send(add(pod.uid(), dir.resolve("gone").toString()));
      assertThat(ack.ok()).isFalse();
      assertThat(ack.error())
          .contains("pod " + pod.uid())
          .contains("field netns")
          .contains("ENOENT");
      assertThat(node.manager.pods()).isEmpty();
    }
  }

  @Test
  void socketFileIsPrivateReplacedWhenStaleAndRemovedOnClose() throws Exception {
    Path socket = node.server.path();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
        .isEqualTo("rw-------");
    assertThat(node.server.isListening()).isTrue();
    node.close();
    assertThat(Files.exists(socket)).isFalse();
    // A stale file (ztunnel killed) does not stop the next one.
    Files.writeString(socket, "stale");
    InPodServer again = new InPodServer(socket, node.manager);
    again.start();
    try (CniTestClient cni = new CniTestClient(socket)) {
      assertThat(cni.send(new CniMessage.SnapshotSent()).ok()).isTrue();
    } finally {
      again.close();
    }
    node = null;
  }

  @Test
  void severalClientsAreServedIndependently() throws Exception {
    try (CniTestClient one = new CniTestClient(node.server.path());
        CniTestClient two = new CniTestClient(node.server.path())) {
      assertThat(one.sendLine("{").ok()).isFalse();
      assertThat(two.send(new CniMessage.SnapshotSent()).ok()).isTrue();
      assertThat(one.send(new CniMessage.SnapshotSent()).ok()).isTrue();
    }
  }
}
