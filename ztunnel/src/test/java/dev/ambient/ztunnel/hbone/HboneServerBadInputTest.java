package dev.ambient.ztunnel.hbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import dev.ambient.ztunnel.testing.RawHboneClient;
import dev.ambient.ztunnel.testing.RecordingTcpMetrics;
import dev.ambient.ztunnel.testing.SocksClient;
import dev.ambient.ztunnel.testing.TestPki;
import dev.ambient.ztunnel.testing.ZtunnelPair;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every kind of bad HBONE input is refused, and the server keeps serving good clients. */
class HboneServerBadInputTest {
  private ZtunnelPair pair;
  private InetSocketAddress hbone;

  @BeforeEach
  void setUp() throws Exception {
    pair = new ZtunnelPair();
    hbone = new InetSocketAddress(pair.serverIp, pair.hbonePort);
  }

  @AfterEach
  void tearDown() throws Exception {
    assertGoodConnectionStillWorks();
    pair.close();
  }

  private void assertGoodConnectionStillWorks() throws IOException {
    try (Socket s = pair.connect(pair.echoAddress())) {
      s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
      byte[] back = s.getInputStream().readNBytes(4);
      assertThat(new String(back, StandardCharsets.US_ASCII)).isEqualTo("ping");
    }
  }

  private SslContext clientContext(WorkloadCertificate cert) {
    return RawHboneClient.context(
        cert.privateKey(), cert.chain().toArray(new java.security.cert.X509Certificate[0]));
  }

  private int connect(SslContext ctx, Http2Headers headers) throws Exception {
    return RawHboneClient.request(pair.transport, ctx, hbone, headers).get(20, TimeUnit.SECONDS);
  }

  private static Http2Headers connectTo(String authority) {
    return new DefaultHttp2Headers().method("CONNECT").authority(authority);
  }

  private String echoAuthority() {
    return pair.serverIp.getHostAddress() + ":" + pair.echo.port();
  }

  @Test
  void plaintextBytesAreRefused() throws Exception {
    try (Socket s = new Socket()) {
      s.connect(hbone, 5000);
      s.setSoTimeout(20_000);
      s.getOutputStream()
          .write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      int read;
      try {
        read = in.read();
        while (read >= 0) {
          read = in.read();
        }
      } catch (IOException reset) {
        read = -1;
      }
      assertThat(read).isEqualTo(-1);
    }
  }

  @Test
  void tlsWithoutClientCertificateIsRefused() {
    SslContext ctx = RawHboneClient.context(null);
    assertThatThrownBy(() -> connect(ctx, connectTo(echoAuthority()))).isNotNull();
    assertThat(pair.echo.accepted.get()).isZero();
  }

  @Test
  void certificateFromAnotherTrustDomainIsRefused() {
    TestPki other = new TestPki("other.example");
    WorkloadCertificate foreign = other.issue(other.identity("default", "client-sa"));
    assertThatThrownBy(() -> connect(clientContext(foreign), connectTo(echoAuthority())))
        .isNotNull();
    assertThat(pair.echo.accepted.get()).isZero();
  }

  @Test
  void otherTrustDomainSignedByOurRootIsRefused() {
    KeyPair key = TestPki.newKeyPair();
    var chain = pair.pki.issueRaw("spiffe://other.example/ns/default/sa/client-sa", key);
    assertThatThrownBy(
            () ->
                connect(
                    RawHboneClient.context(key.getPrivate(), chain), connectTo(echoAuthority())))
        .isNotNull();
    assertThat(pair.echo.accepted.get()).isZero();
  }

  /** The JDK refuses to even parse a raw NUL in a URI SAN; these are the encodable tricks. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "spiffe://cluster.local/ns/default/sa/client-sa%00",
        "spiffe://cluster.local/ns/default/sa/Client-sa",
        "spiffe://cluster.local/ns/default/sa/client-sa/extra",
        "https://cluster.local/ns/default/sa/client-sa"
      })
  void invalidSpiffeSanIsRefused(String san) {
    KeyPair key = TestPki.newKeyPair();
    var chain = pair.pki.issueRaw(san, key);
    assertThatThrownBy(
            () ->
                connect(
                    RawHboneClient.context(key.getPrivate(), chain), connectTo(echoAuthority())))
        .isNotNull();
    assertThat(pair.echo.accepted.get()).isZero();
  }

  @Test
  void expiredCertificateIsRefused() {
    Instant now = Instant.now();
    WorkloadCertificate expired =
        pair.pki.issue(
            pair.client.identity(), now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)));
    assertThatThrownBy(() -> connect(clientContext(expired), connectTo(echoAuthority())))
        .isNotNull();
    assertThat(pair.echo.accepted.get()).isZero();
  }

  @Test
  void selfSignedCertificateIsRefused() {
    WorkloadCertificate self = TestPki.selfSigned(pair.client.identity());
    assertThatThrownBy(() -> connect(clientContext(self), connectTo(echoAuthority()))).isNotNull();
    assertThat(pair.echo.accepted.get()).isZero();
  }

  @Test
  void connectToAddressThatIsNotALocalWorkloadGets400() throws Exception {
    WorkloadCertificate good = pair.pki.issue(pair.client.identity());
    // The client workload exists, but on the other node.
    String elsewhere = pair.clientIp.getHostAddress() + ":80";
    assertThat(connect(clientContext(good), connectTo(elsewhere))).isEqualTo(400);
    assertThat(connect(clientContext(good), connectTo("10.255.0.1:80"))).isEqualTo(400);
  }

  @Test
  void nonConnectMethodGets400() throws Exception {
    WorkloadCertificate good = pair.pki.issue(pair.client.identity());
    Http2Headers get =
        new DefaultHttp2Headers()
            .method("GET")
            .scheme("https")
            .path("/")
            .authority(echoAuthority());
    assertThat(connect(clientContext(good), get)).isEqualTo(400);
    assertThat(pair.echo.accepted.get()).isZero();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "echo.default.svc:80",
        "127.0.0.1",
        "[::1",
        "127.0.0.1:99999",
        "127.0.0.1:0",
        "127.0.0.1:8o",
        "127.1:80",
        "[example]:80",
        "127.0.0.1:80:80"
      })
  void malformedAuthorityGets400(String authority) throws Exception {
    WorkloadCertificate good = pair.pki.issue(pair.client.identity());
    assertThat(connect(clientContext(good), connectTo(authority))).isEqualTo(400);
    assertThat(pair.echo.accepted.get()).isZero();
  }

  @Test
  void connectWithEndStreamGets400() throws Exception {
    WorkloadCertificate good = pair.pki.issue(pair.client.identity());
    int status =
        RawHboneClient.request(
                pair.transport, clientContext(good), hbone, connectTo(echoAuthority()), true)
            .get(20, TimeUnit.SECONDS);
    assertThat(status).isEqualTo(400);
    assertThat(pair.echo.accepted.get()).isZero();
  }

  @Test
  void deniedByPolicyGets401AndNothingReachesTheBackend() throws Exception {
    pair.b.authorizer.denied.add(pair.client.identity());
    WorkloadCertificate good = pair.pki.issue(pair.client.identity());
    assertThat(connect(clientContext(good), connectTo(echoAuthority()))).isEqualTo(401);
    // Through the real outbound path, the SOCKS client is refused (HBONE 401 -> 0x05).
    try (Socket s = SocksClient.open(pair.clientIp, pair.a.socks())) {
      assertThat(SocksClient.request(s, pair.echoAddress())).isEqualTo(5);
    }
    assertThat(pair.echo.accepted.get()).isZero();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                pair.b.metrics.closed().stream().filter(r -> "DENY".equals(r.flags)).count() == 2);
    for (RecordingTcpMetrics.Recorded r : pair.b.metrics.closed()) {
      assertThat(r.closeCount.get()).isEqualTo(1);
      assertThat(r.labels.sourcePrincipal()).isEqualTo(pair.client.identity());
    }
    pair.b.authorizer.denied.clear();
  }

  @Test
  void upstreamConnectFailureGets503() throws Exception {
    WorkloadCertificate good = pair.pki.issue(pair.client.identity());
    int closedPort;
    try (var probe = new java.net.ServerSocket(0, 1, pair.serverIp)) {
      closedPort = probe.getLocalPort();
    }
    String authority = pair.serverIp.getHostAddress() + ":" + closedPort;
    assertThat(connect(clientContext(good), connectTo(authority))).isEqualTo(503);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> pair.b.metrics.closed().stream().anyMatch(r -> "CONNECT".equals(r.flags)));
  }

  @Test
  void clientRejectsServerWithUnexpectedIdentity() {
    HbonePool pool =
        new HbonePool(
            pair.transport, new dev.ambient.ztunnel.tls.TlsContexts(), HbonePoolSettings.DEFAULTS);
    SpiffeId someoneElse = pair.pki.identity("default", "not-the-server");
    WorkloadCertificate good = pair.pki.issue(pair.client.identity());
    assertThatThrownBy(
            () ->
                pool.open(good, java.util.Set.of(someoneElse), hbone, echoAuthority())
                    .get(20, TimeUnit.SECONDS))
        .hasCauseInstanceOf(PeerIdentityMismatchException.class)
        .hasMessageContaining("presented identity " + pair.server.identity())
        .hasMessageContaining(someoneElse.toString());
    pool.close();
    assertThat(pair.echo.accepted.get()).isZero();
  }
}
