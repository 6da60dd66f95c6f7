package dev.ambient.ztunnel.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.ztunnel.hbone.HbonePoolSettings;
import dev.ambient.ztunnel.testing.SocksClient;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.ZtunnelPair;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Malformed SOCKS5 gets the right reply code (where one exists) and a close; others go on. */
class Socks5BadInputTest {
  private ZtunnelPair pair;

  @BeforeEach
  void setUp() throws Exception {
    pair = new ZtunnelPair(HbonePoolSettings.DEFAULTS, Duration.ofSeconds(1));
  }

  @AfterEach
  void tearDown() throws Exception {
    try (Socket s = pair.connect(pair.echoAddress())) {
      s.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
      assertThat(new String(s.getInputStream().readNBytes(2), StandardCharsets.US_ASCII))
          .isEqualTo("ok");
    }
    assertThat(pair.echo.accepted.get()).isEqualTo(1);
    pair.close();
  }

  private Socket open() throws IOException {
    return SocksClient.open(pair.clientIp, pair.a.socks());
  }

  /** Everything the server sends until it closes. */
  private static byte[] untilClosed(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    try {
      return in.readAllBytes();
    } catch (IOException reset) {
      return new byte[0];
    }
  }

  private byte[] exchange(byte[]... writes) throws IOException {
    try (Socket s = open()) {
      OutputStream out = s.getOutputStream();
      for (byte[] w : writes) {
        out.write(w);
      }
      out.flush();
      return untilClosed(s);
    }
  }

  private static final byte[] GREETING = {5, 1, 0};
  private static final byte[] METHOD_OK = {5, 0};

  private byte[] request(int cmd, int atyp, byte[] addr) {
    byte[] r = new byte[4 + addr.length + 2];
    r[0] = 5;
    r[1] = (byte) cmd;
    r[3] = (byte) atyp;
    System.arraycopy(addr, 0, r, 4, addr.length);
    r[r.length - 2] = (byte) (pair.echo.port() >> 8);
    r[r.length - 1] = (byte) pair.echo.port();
    return r;
  }

  private static int replyCode(byte[] afterGreeting) {
    assertThat(afterGreeting.length).isGreaterThanOrEqualTo(4);
    assertThat(afterGreeting[0]).isEqualTo((byte) 5);
    return afterGreeting[1] & 0xFF;
  }

  private static byte[] skipMethod(byte[] all) {
    assertThat(all).startsWith(METHOD_OK);
    byte[] rest = new byte[all.length - 2];
    System.arraycopy(all, 2, rest, 0, rest.length);
    return rest;
  }

  @Test
  void wrongVersionIsClosedWithoutReply() throws Exception {
    assertThat(exchange(new byte[] {4, 1, 0, 80, 127, 0, 0, 1, 0})).isEmpty();
  }

  @Test
  void zeroMethodsGetNoAcceptableMethod() throws Exception {
    assertThat(exchange(new byte[] {5, 0})).containsExactly(5, 0xFF);
  }

  @Test
  void noAuthNotOfferedGetsNoAcceptableMethod() throws Exception {
    assertThat(exchange(new byte[] {5, 2, 1, 2})).containsExactly(5, 0xFF);
  }

  @Test
  void bindCommandIsNotSupported() throws Exception {
    byte[] ip = pair.serverIp.getAddress();
    byte[] reply = skipMethod(exchange(GREETING, request(2, 1, ip)));
    assertThat(replyCode(reply)).isEqualTo(7);
  }

  @Test
  void udpAssociateIsNotSupported() throws Exception {
    byte[] ip = pair.serverIp.getAddress();
    assertThat(replyCode(skipMethod(exchange(GREETING, request(3, 1, ip))))).isEqualTo(7);
  }

  @Test
  void unknownAddressTypeIsRefused() throws Exception {
    byte[] ip = pair.serverIp.getAddress();
    assertThat(replyCode(skipMethod(exchange(GREETING, request(1, 9, ip))))).isEqualTo(8);
  }

  @Test
  void oversizedGreetingIsClosed() throws Exception {
    byte[] big = new byte[4096];
    big[0] = 5;
    big[1] = (byte) 255;
    // 255 methods, none of them no-auth, then junk: refused before or at the size limit.
    for (int i = 2; i < big.length; i++) {
      big[i] = 1;
    }
    byte[] got = exchange(big);
    assertThat(got.length).isLessThanOrEqualTo(2);
  }

  /** Greets, waits for the method reply, then sends the request; returns the reply code. */
  private int afterGreeting(byte[] req) throws IOException {
    try (Socket s = open()) {
      s.getOutputStream().write(GREETING);
      assertThat(s.getInputStream().readNBytes(2)).containsExactly(METHOD_OK);
      s.getOutputStream().write(req);
      return replyCode(untilClosed(s));
    }
  }

  @Test
  void emptyDomainNameIsRefused() throws Exception {
    assertThat(afterGreeting(new byte[] {5, 1, 0, 3, 0, 0, 80})).isEqualTo(1);
  }

  @Test
  void longestDomainThatIsNoServiceIsUnreachable() throws Exception {
    byte[] name = new byte[255];
    java.util.Arrays.fill(name, (byte) 'a');
    byte[] req = new byte[5 + 255 + 2];
    req[0] = 5;
    req[1] = 1;
    req[3] = 3;
    req[4] = (byte) 255;
    System.arraycopy(name, 0, req, 5, 255);
    req[req.length - 1] = 80;
    assertThat(afterGreeting(req)).isEqualTo(4);
  }

  @Test
  void garbageDomainIsUnreachable() throws Exception {
    byte[] req = {5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80};
    assertThat(afterGreeting(req)).isEqualTo(4);
  }

  @Test
  void nonZeroReservedByteIsRefused() throws Exception {
    byte[] req = request(1, 1, pair.serverIp.getAddress());
    req[2] = 7;
    assertThat(afterGreeting(req)).isEqualTo(1);
  }

  @Test
  void truncatedRequestTimesOut() throws Exception {
    try (Socket s = open()) {
      s.getOutputStream().write(GREETING);
      s.getOutputStream().write(new byte[] {5, 1, 0, 1, 127});
      s.getOutputStream().flush();
      // The handshake timeout (1 s here) closes the connection; no reply is possible mid-request.
      assertThat(skipMethod(untilClosed(s))).isEmpty();
    }
  }

  @Test
  void silentClientTimesOut() throws Exception {
    try (Socket s = open()) {
      assertThat(untilClosed(s)).isEmpty();
    }
  }

  @Test
  void unknownSourceAddressIsNotAllowed() throws Exception {
    InetAddress stranger = TestAddresses.next();
    try (Socket s = SocksClient.open(stranger, pair.a.socks())) {
      assertThat(SocksClient.request(s, pair.echoAddress())).isEqualTo(2);
    }
  }

  @Test
  void workloadOfAnotherNodeIsNotAllowed() throws Exception {
    // The server workload is known, but runs on node B: node A's SOCKS port refuses it.
    try (Socket s = SocksClient.open(pair.serverIp, pair.a.socks())) {
      assertThat(SocksClient.request(s, pair.echoAddress())).isEqualTo(2);
    }
  }

  @Test
  void refusedUpstreamGetsConnectionRefused() throws Exception {
    int closedPort;
    try (var probe = new java.net.ServerSocket(0, 1, pair.serverIp)) {
      closedPort = probe.getLocalPort();
    }
    try (Socket s = open()) {
      int rep = SocksClient.request(s, new java.net.InetSocketAddress(pair.serverIp, closedPort));
      assertThat(rep).isEqualTo(5);
    }
  }
}
