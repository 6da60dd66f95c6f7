package dev.ambient.ztunnel.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.hbone.HbonePoolSettings;
import dev.ambient.ztunnel.inbound.FixedOriginalDestination;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.state.StateHolder;
import dev.ambient.ztunnel.testing.DenyPrincipalsAuthorizer;
import dev.ambient.ztunnel.testing.RecordingTcpMetrics;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.TestBackend;
import dev.ambient.ztunnel.testing.TestCertificates;
import dev.ambient.ztunnel.testing.TestMesh;
import dev.ambient.ztunnel.testing.TestPki;
import dev.ambient.ztunnel.testing.ZtunnelPair;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListenersLifecycleTest {

  private static void echoOnce(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    byte[] back = s.getInputStream().readNBytes(text.length());
    assertThat(new String(back, StandardCharsets.US_ASCII)).isEqualTo(text);
  }

  @Test
  void hboneListenersFollowTheLocalWorkloads() throws Exception {
    try (ZtunnelPair pair = new ZtunnelPair()) {
      InetAddress newIp = TestAddresses.next();
      Workload added = TestMesh.workload("added", ZtunnelPair.NODE_B, newIp);
      pair.add(List.of(added), List.of());
      InetSocketAddress listener = new InetSocketAddress(newIp, pair.hbonePort);
      assertThat(pair.b.listeners.hboneListeners()).containsKey(listener);
      assertThat(pair.a.listeners.hboneListeners()).doesNotContainKey(listener);
      try (TestBackend backend = new TestBackend(newIp, TestBackend.Mode.ECHO, "added");
          Socket s = pair.connect(backend.address())) {
        echoOnce(s, "hi");
      }
      // The workload leaves node B: its listener closes and connecting fails.
      pair.b.apply(TestMesh.state(List.of(pair.client, pair.server), List.of()));
      assertThat(pair.b.listeners.hboneListeners()).doesNotContainKey(listener);
      assertThatThrownBy(
              () -> {
                try (Socket s = new Socket()) {
                  s.connect(listener, 2000);
                }
              })
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void drainLetsLiveTunnelsFinishAndRefusesNewConnections() throws Exception {
    try (ZtunnelPair pair = new ZtunnelPair()) {
      Socket live = pair.connect(pair.echoAddress());
      echoOnce(live, "before");
      var drained = pair.b.listeners.drain(Duration.ofSeconds(30));
      // New tunnels are refused: the HBONE listener is gone.
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThatThrownBy(() -> pair.connect(pair.echoAddress()).close())
                      .isInstanceOf(IOException.class));
      // The live one still works until its client ends it.
      echoOnce(live, "during");
      assertThat(drained).isNotDone();
      live.shutdownOutput();
      assertThat(live.getInputStream().readAllBytes()).isEmpty();
      live.close();
      drained.get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(pair.b.listeners.relays().count()).isZero();
    }
  }

  @Test
  void drainDeadlineCutsLongLivedTunnels() throws Exception {
    try (ZtunnelPair pair = new ZtunnelPair()) {
      Socket live = pair.connect(pair.echoAddress());
      echoOnce(live, "x");
      pair.b.listeners.drain(Duration.ofMillis(200)).get(20, java.util.concurrent.TimeUnit.SECONDS);
      live.setSoTimeout(20_000);
      int r;
      try {
        r = live.getInputStream().read();
      } catch (IOException reset) {
        r = -1;
      }
      assertThat(r).isEqualTo(-1);
      live.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> pair.b.metrics.closed().size() == 1);
      assertThat(pair.b.metrics.closed().get(0).error).contains("shutting down");
    }
  }

  @Test
  void idleHboneConnectionsAreClosedAndReplaced() throws Exception {
    HbonePoolSettings fastIdle = HbonePoolSettings.DEFAULTS.withIdleTimeout(Duration.ofMillis(200));
    try (ZtunnelPair pair = new ZtunnelPair(fastIdle, Duration.ofSeconds(10))) {
      try (Socket s = pair.connect(pair.echoAddress())) {
        echoOnce(s, "one");
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> pair.a.listeners.pool().pooledConnections() == 0);
      try (Socket s = pair.connect(pair.echoAddress())) {
        echoOnce(s, "two");
      }
      assertThat(pair.b.acceptedHboneConnections()).isEqualTo(2);
    }
  }

  @Test
  void goAwayMovesNewStreamsToAFreshConnection() throws Exception {
    try (ZtunnelPair pair = new ZtunnelPair()) {
      Socket first = pair.connect(pair.echoAddress());
      echoOnce(first, "a");
      pair.b.listeners.hboneListeners().values().forEach(s -> s.goAway());
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> pair.a.listeners.pool().pooledConnections() == 0);
      try (Socket second = pair.connect(pair.echoAddress())) {
        echoOnce(second, "b");
      }
      // The stream opened before GOAWAY keeps working on the old connection.
      echoOnce(first, "c");
      first.close();
      assertThat(pair.b.acceptedHboneConnections()).isEqualTo(2);
    }
  }

  @Test
  void inboundPlaintextReachesLocalWorkloadsWithoutIdentity() throws Exception {
    TestPki pki = new TestPki(TestMesh.TRUST_DOMAIN);
    NetTransport transport = NetTransport.create(1);
    InetAddress podIp = TestAddresses.next();
    InetAddress callerIp = TestAddresses.next();
    Workload pod = TestMesh.workload("pod", "node", podIp);
    StateHolder state = new StateHolder(TestMesh.state(List.of(pod), List.of()));
    RecordingTcpMetrics metrics = new RecordingTcpMetrics();
    DenyPrincipalsAuthorizer authz = new DenyPrincipalsAuthorizer();
    try (TestBackend app = new TestBackend(podIp, TestBackend.Mode.ECHO, "pod")) {
      ProxySettings settings =
          new ProxySettings(
              "node",
              15008,
              null,
              new InetSocketAddress(podIp, 0),
              new FixedOriginalDestination(app.address()),
              null,
              null);
      ProxyListeners listeners =
          new ProxyListeners(settings, state, transport, new TestCertificates(pki), authz, metrics);
      listeners.start().join();
      try (Socket s = new Socket()) {
        s.bind(new InetSocketAddress(callerIp, 0));
        s.connect(listeners.inboundPlaintextAddress());
        echoOnce(s, "plain");
      }
      assertThat(authz.checks)
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.sourcePrincipal()).isNull();
                assertThat(c.sourceIp()).isEqualTo(callerIp);
                assertThat(c.destinationIp()).isEqualTo(podIp);
              });
      await().atMost(Duration.ofSeconds(10)).until(() -> metrics.closed().size() == 1);
      assertThat(metrics.closed().get(0).labels.mutualTls()).isFalse();
      listeners.close();
    } finally {
      transport.shutdown();
    }
  }
}
