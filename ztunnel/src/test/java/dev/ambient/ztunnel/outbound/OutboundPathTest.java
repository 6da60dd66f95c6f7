package dev.ambient.ztunnel.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.testing.SocksClient;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.TestBackend;
import dev.ambient.ztunnel.testing.TestMesh;
import dev.ambient.ztunnel.testing.ZtunnelPair;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OutboundPathTest {
  private ZtunnelPair pair;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    pair = new ZtunnelPair();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : cleanup) {
      c.close();
    }
    pair.close();
  }

  /** Two endpoints on node B, each a named echo on the same port, behind one VIP. */
  private record TwoEndpoints(Service service, Workload one, Workload two, InetSocketAddress vip) {}

  private TwoEndpoints twoEndpoints(LoadBalancing lb) throws IOException {
    InetAddress ip1 = TestAddresses.next();
    InetAddress ip2 = TestAddresses.next();
    TestBackend b1 = new TestBackend(ip1, TestBackend.Mode.NAMED_ECHO, "one");
    TestBackend b2 = new TestBackend(ip2, b1.port(), TestBackend.Mode.NAMED_ECHO, "two");
    cleanup.add(b1);
    cleanup.add(b2);
    Workload w1 = TestMesh.workload("one", ZtunnelPair.NODE_B, ip1);
    Workload w2 = TestMesh.workload("two", ZtunnelPair.NODE_B, ip2);
    InetAddress vip = TestAddresses.next();
    Service svc = TestMesh.service("named", vip, 80, b1.port(), lb, w1, w2);
    pair.add(List.of(w1, w2), List.of(svc));
    return new TwoEndpoints(svc, w1, w2, new InetSocketAddress(vip, 80));
  }

  private static String firstLine(Socket s) throws IOException {
    BufferedReader r =
        new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
    return r.readLine();
  }

  @Test
  void serviceVipIsBalancedRoundRobin() throws Exception {
    TwoEndpoints t = twoEndpoints(LoadBalancing.ROUND_ROBIN);
    Map<String, Integer> hits = new HashMap<>();
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      try (Socket s = pair.connect(t.vip())) {
        String name = firstLine(s);
        order.add(name);
        hits.merge(name, 1, Integer::sum);
      }
    }
    assertThat(hits).containsEntry("one", 2).containsEntry("two", 2);
    assertThat(order.get(0)).isNotEqualTo(order.get(1));
    // The destination side saw the service traffic arrive at the endpoint, over mTLS.
    assertThat(pair.b.authorizer.checks).hasSize(4);
  }

  @Test
  void serviceVipWithLeastRequestsPrefersTheIdleEndpoint() throws Exception {
    TwoEndpoints t = twoEndpoints(LoadBalancing.LEAST_REQUESTS);
    Socket first = pair.connect(t.vip());
    String n1 = firstLine(first);
    try (Socket second = pair.connect(t.vip())) {
      String n2 = firstLine(second);
      assertThat(n2).isNotEqualTo(n1);
      first.close();
      Workload firstEndpoint = n1.equals("one") ? t.one() : t.two();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> pair.a.listeners.outbound().activeConnections(firstEndpoint) == 0);
      try (Socket third = pair.connect(t.vip())) {
        // The second endpoint still has a live connection, the first has none.
        assertThat(firstLine(third)).isEqualTo(n1);
      }
    }
  }

  @Test
  void unknownServicePortIsRefused() throws Exception {
    TwoEndpoints t = twoEndpoints(LoadBalancing.ROUND_ROBIN);
    try (Socket s = SocksClient.open(pair.clientIp, pair.a.socks())) {
      int rep = SocksClient.request(s, new InetSocketAddress(t.vip().getAddress(), 81));
      assertThat(rep).isEqualTo(1);
    }
    assertThat(pair.a.metrics.closed()).anySatisfy(r -> assertThat(r.error).contains("no port 81"));
  }

  @Test
  void domainNameOfAServiceResolvesToItsVip() throws Exception {
    TwoEndpoints t = twoEndpoints(LoadBalancing.ROUND_ROBIN);
    try (Socket s = SocksClient.open(pair.clientIp, pair.a.socks())) {
      assertThat(SocksClient.requestDomain(s, t.service().hostname(), 80)).isZero();
      assertThat(firstLine(s)).isIn("one", "two");
    }
    try (Socket s = SocksClient.open(pair.clientIp, pair.a.socks())) {
      assertThat(SocksClient.requestDomain(s, "example.com", 80)).isEqualTo(4);
    }
  }

  @Test
  void nonMeshAddressIsPassedThroughAsPlainTcp() throws Exception {
    InetAddress outside = TestAddresses.next();
    TestBackend plain = new TestBackend(outside, TestBackend.Mode.ECHO, "outside");
    cleanup.add(plain);
    long hboneBefore = pair.b.acceptedHboneConnections();
    try (Socket s = pair.connect(plain.address())) {
      s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
      s.shutdownOutput();
      assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
          .isEqualTo("hello");
    }
    assertThat(plain.accepted.get()).isEqualTo(1);
    assertThat(pair.b.acceptedHboneConnections()).isEqualTo(hboneBefore);
    await().atMost(Duration.ofSeconds(10)).until(() -> pair.a.metrics.closed().size() == 1);
    var r = pair.a.metrics.closed().get(0);
    assertThat(r.labels.hboneAddress()).isNull();
    assertThat(r.labels.mutualTls()).isFalse();
    assertThat(r.sent.get()).isEqualTo(5);
    assertThat(r.received.get()).isEqualTo(5);
  }

  @Test
  void halfCloseTravelsThroughTheTunnelAndTheServerStillAnswers() throws Exception {
    try (Socket s = pair.connect(pair.echoAddress())) {
      OutputStream out = s.getOutputStream();
      out.write("first half".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      s.shutdownOutput();
      // The echo server replies after seeing our FIN, then sends its own FIN.
      byte[] all = s.getInputStream().readAllBytes();
      assertThat(new String(all, StandardCharsets.US_ASCII)).isEqualTo("first half");
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> pair.b.metrics.closed().size() == 1 && pair.a.metrics.closed().size() == 1);
    assertThat(pair.b.metrics.closed().get(0).error).isNull();
    assertThat(pair.a.metrics.closed().get(0).error).isNull();
  }

  @Test
  void connectionsToOneDestinationShareOneTlsConnection() throws Exception {
    try (Socket s1 = pair.connect(pair.echoAddress());
        Socket s2 = pair.connect(pair.echoAddress())) {
      for (Socket s : List.of(s1, s2)) {
        s.getOutputStream().write('x');
        assertThat(s.getInputStream().read()).isEqualTo('x');
      }
      assertThat(pair.b.acceptedHboneConnections()).isEqualTo(1);
    }
  }

  @Test
  void moreThanAHundredStreamsOpenASecondConnection() throws Exception {
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        sockets.add(pair.connect(pair.echoAddress()));
      }
      assertThat(pair.b.acceptedHboneConnections()).isEqualTo(1);
      sockets.add(pair.connect(pair.echoAddress()));
      assertThat(pair.b.acceptedHboneConnections()).isEqualTo(2);
      for (Socket s : sockets) {
        s.getOutputStream().write('y');
        assertThat(s.getInputStream().read()).isEqualTo('y');
      }
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  @Test
  void aSenderIntoANonReadingReceiverIsHeldBack() throws Exception {
    TestBackend stall = new TestBackend(pair.serverIp, TestBackend.Mode.STALL, "stall");
    cleanup.add(stall);
    long attempt = 512L * 1024 * 1024;
    AtomicLong accepted = new AtomicLong();
    try (Socket s = pair.connect(stall.address())) {
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                  OutputStream out = s.getOutputStream();
                  while (accepted.get() < attempt) {
                    out.write(chunk);
                    accepted.addAndGet(chunk.length);
                  }
                } catch (IOException e) {
                  // Socket closed at the end of the test.
                }
              });
      // Wait until the pipeline is full: the byte count stops moving between polls.
      long[] last = {-1};
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                long now = accepted.get();
                boolean stable = now > 0 && now == last[0];
                last[0] = now;
                return stable;
              });
      System.out.println("backpressure: sender accepted " + accepted.get() + " bytes");
      assertThat(writer).isNotDone();
      // Windows (4 MiB stream) + socket buffers on four sockets + one read batch: about 10 MiB on
      // loopback, far below this.
      assertThat(accepted.get()).isLessThan(32L * 1024 * 1024);
      s.close();
      writer.handle((v, t) -> null).join();
    }
  }
}
