package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2ChannelDuplexHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * gRPC through a real Envoy 1.40 waypoint: a client speaking HTTP/2 without TLS (h2c, as gRPC
 * clients do) reaches an HTTP/2-only server. The waypoint's upstream speaks the client's HTTP
 * version; with Envoy's default (HTTP/1.1 upstream) the server never answers and the client gets
 * 503.
 */
@Tag("envoy")
class WaypointH2cEnvoyTest extends WaypointEnvoyTestBase {

  @Test
  void anH2cClientReachesAnHttp2OnlyServerThroughTheWaypoint() throws Exception {
    RouteTables.Result routes =
        RouteTables.translate(
            List.of(TestRoutes.echoSettingHeader("x-route", "h2")), f.state, "cluster.local");
    f.publishAndWait(f.resources(f.model(routes.tables())));

    Http2Headers response =
        h2cGet(
            f.connect(f.h2cVip, 7070),
            "grpc-echo.default.svc.cluster.local:7070",
            "/pkg.Echo/Call");

    assertThat(response.status()).hasToString("200");
    assertThat(response.get("x-upstream-protocol")).hasToString("h2");
    assertThat(response.get("x-path")).hasToString("/pkg.Echo/Call");
  }

  /**
   * One HTTP/2 request over a plain socket: Netty's frame codec runs in an {@link EmbeddedChannel}
   * and the bytes are moved by hand, so the connection is exactly the one the test opened.
   */
  private static Http2Headers h2cGet(Socket socket, String authority, String path)
      throws Exception {
    return h2cRequest(
        socket,
        new DefaultHttp2Headers().method("GET").scheme("http").authority(authority).path(path));
  }

  /** One HTTP/2 request of these headers (and no body); the response's headers. */
  static Http2Headers h2cRequest(Socket socket, Http2Headers request) throws Exception {
    Http2HeadersFrame[] answer = new Http2HeadersFrame[1];
    Http2ChannelDuplexHandler streams =
        new Http2ChannelDuplexHandler() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame h && h.headers().status() != null) {
              answer[0] = h;
            }
            ReferenceCountUtil.release(msg);
          }
        };
    EmbeddedChannel codec =
        new EmbeddedChannel(Http2FrameCodecBuilder.forClient().build(), streams);
    Http2FrameStream stream = streams.newStream();
    codec.writeOutbound(new DefaultHttp2HeadersFrame(request, true).stream(stream));
    socket.setSoTimeout(200);
    OutputStream out = socket.getOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[16384];
    long deadline = System.nanoTime() + WaypointFixture.WAIT.toNanos();
    while (answer[0] == null && System.nanoTime() < deadline) {
      for (ByteBuf b; (b = codec.readOutbound()) != null; ) {
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        out.write(bytes);
      }
      out.flush();
      try {
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        codec.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOf(buf, n)));
      } catch (SocketTimeoutException quiet) {
        // nothing yet: flush what the codec wants to send (SETTINGS ack) and read again
      }
    }
    codec.finishAndReleaseAll();
    assertThat(answer[0]).as("an HTTP/2 response through the waypoint").isNotNull();
    return answer[0].headers();
  }
}
