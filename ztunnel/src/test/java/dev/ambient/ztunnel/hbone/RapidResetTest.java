package dev.ambient.ztunnel.hbone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.ztunnel.identity.WorkloadCertificate;
import dev.ambient.ztunnel.testing.RawHboneClient;
import dev.ambient.ztunnel.testing.ZtunnelPair;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HBONE server tells a rapid-reset attack (CONNECTs cancelled before they are answered) from a
 * waypoint Envoy ending answered tunnels with RST_STREAM CONNECT_ERROR, which it does for every
 * request: the first loses its connection, the second must not, and its resets are not answered
 * with resets (Envoy takes a RST_STREAM for a stream it has just reset as a reason to GOAWAY).
 */
class RapidResetTest {
  private static final int MORE_THAN_THE_LIMIT = Http2Tuning.MAX_PREMATURE_RESETS + 100;

  private ZtunnelPair pair;
  private SslContext tls;
  private InetSocketAddress hbone;
  private final Queue<String> received = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void setUp() throws Exception {
    pair = new ZtunnelPair();
    hbone = new InetSocketAddress(pair.serverIp, pair.hbonePort);
    WorkloadCertificate cert = pair.pki.issue(pair.client.identity());
    tls =
        RawHboneClient.context(
            cert.privateKey(), cert.chain().toArray(new java.security.cert.X509Certificate[0]));
  }

  @AfterEach
  void tearDown() throws Exception {
    pair.close();
  }

  private Http2Headers connectToEcho() {
    return new DefaultHttp2Headers()
        .method("CONNECT")
        .authority(pair.serverIp.getHostAddress() + ":" + pair.echo.port());
  }

  @Test
  void resetsOfAnsweredTunnelsKeepTheConnection() throws Exception {
    Channel conn =
        RawHboneClient.connection(pair.transport, tls, hbone, received).get(20, TimeUnit.SECONDS);
    for (int i = 0; i < MORE_THAN_THE_LIMIT; i++) {
      Http2StreamChannel stream =
          RawHboneClient.stream(conn, connectToEcho(), false, true)
              .get(20, TimeUnit.SECONDS)
              .channel();
      stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CONNECT_ERROR)).sync();
    }
    Thread.sleep(500); // a reset answered with a reset would have arrived by now
    // Still the same connection, and it still carries new tunnels.
    RawHboneClient.stream(conn, connectToEcho(), false, true).get(20, TimeUnit.SECONDS);
    assertThat(conn.isActive()).isTrue();
    assertThat(received).isEmpty();
    conn.close().sync();
  }

  @Test
  void cancellingUnansweredConnectsClosesTheConnection() throws Exception {
    Channel conn =
        RawHboneClient.connection(pair.transport, tls, hbone, received).get(20, TimeUnit.SECONDS);
    for (int i = 0; i < MORE_THAN_THE_LIMIT && conn.isActive(); i++) {
      Http2StreamChannel stream;
      try {
        stream =
            RawHboneClient.stream(conn, connectToEcho(), false, false)
                .get(20, TimeUnit.SECONDS)
                .channel();
      } catch (java.util.concurrent.ExecutionException closedMeanwhile) {
        break;
      }
      stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
    }
    assertThat(conn.closeFuture().await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(received).contains("GOAWAY " + Http2Error.ENHANCE_YOUR_CALM.code());
    // Other clients are unaffected.
    Channel other =
        RawHboneClient.connection(pair.transport, tls, hbone, received).get(20, TimeUnit.SECONDS);
    RawHboneClient.stream(other, connectToEcho(), false, true).get(20, TimeUnit.SECONDS);
    other.close().sync();
  }
}
