package dev.ambient.ztunnel.hbone;

import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.inbound.InboundDispatcher;
import dev.ambient.ztunnel.inbound.InboundDispatcher.Admission;
import dev.ambient.ztunnel.metrics.ConnectionTracker;
import dev.ambient.ztunnel.relay.LiveRelays;
import dev.ambient.ztunnel.relay.RelaySession;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HBONE stream on the server: validates the CONNECT, admits it through policy, connects to the
 * destination and only then answers 200 and starts the relay. Only the request HEADERS are read
 * here; everything after belongs to the tunnel and is left unread until the relay runs.
 */
final class HboneStreamHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(HboneStreamHandler.class);

  private final Workload workload;
  private final SpiffeId peer;
  private final InetSocketAddress peerAddress;
  private final InetSocketAddress hboneAddress;
  private final InboundDispatcher dispatcher;
  private final LiveRelays relays;
  private boolean seenHeaders;

  HboneStreamHandler(
      Workload workload,
      SpiffeId peer,
      InetSocketAddress peerAddress,
      InetSocketAddress hboneAddress,
      InboundDispatcher dispatcher,
      LiveRelays relays) {
    this.workload = workload;
    this.peer = peer;
    this.peerAddress = peerAddress;
    this.hboneAddress = hboneAddress;
    this.dispatcher = dispatcher;
    this.relays = relays;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (seenHeaders || !(msg instanceof Http2HeadersFrame frame)) {
        // Cannot happen while we read one message at a time; refuse rather than guess.
        reject(ctx, 400, null, "unexpected " + msg.getClass().getSimpleName() + " before CONNECT");
        return;
      }
      seenHeaders = true;
      if (frame.isEndStream()) {
        // A tunnel whose client already ended its half would never carry a byte upstream.
        reject(ctx, 400, frame.headers().authority(), "CONNECT carries END_STREAM");
        return;
      }
      onConnect(ctx, frame.headers());
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onConnect(ChannelHandlerContext ctx, Http2Headers headers) {
    CharSequence authority = headers.authority();
    if (!HttpMethod.CONNECT.asciiName().contentEquals(String.valueOf(headers.method()))) {
      reject(ctx, 400, authority, "method " + headers.method() + " is not CONNECT");
      return;
    }
    InetSocketAddress destination;
    try {
      destination = HboneAuthority.parse(authority);
    } catch (IllegalArgumentException e) {
      reject(ctx, 400, authority, e.getMessage());
      return;
    }
    Admission admission = dispatcher.admit(destination, peer, peerAddress, hboneAddress, workload);
    if (admission instanceof Admission.Rejected r) {
      reject(ctx, r.status(), authority, r.reason());
      return;
    }
    Admission.Admitted admitted = (Admission.Admitted) admission;
    ConnectionTracker tracker = admitted.tracker();
    Channel stream = ctx.channel();
    ChannelFuture connect =
        dispatcher.connectUpstream(stream.eventLoop(), admitted.destination(), destination);
    connect.addListener(
        f -> {
          if (!f.isSuccess()) {
            String reason = "upstream connect to " + destination + " failed: " + f.cause();
            tracker.close("CONNECT", reason);
            reject(ctx, 503, authority, reason);
            return;
          }
          Channel upstream = connect.channel();
          if (!stream.isActive()) {
            upstream.close();
            tracker.close("-", "client went away before the tunnel opened");
            return;
          }
          stream.writeAndFlush(new DefaultHttp2HeadersFrame(status(200)));
          ctx.pipeline().remove(this);
          relays.track(RelaySession.start(stream, upstream, tracker));
        });
  }

  private void reject(ChannelHandlerContext ctx, int status, CharSequence authority, String why) {
    LOG.warn(
        "HBONE CONNECT from {} ({}) authority {} rejected with {}: {}",
        peer,
        peerAddress,
        authority == null ? "-" : printable(authority),
        status,
        why);
    ctx.writeAndFlush(new DefaultHttp2HeadersFrame(status(status), true))
        .addListener(f -> ctx.close());
  }

  private static Http2Headers status(int code) {
    return new DefaultHttp2Headers().status(Integer.toString(code));
  }

  private static String printable(CharSequence s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 80; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c > 0x7e ? '?' : c);
    }
    return b.toString();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("HBONE stream from {} failed: {}", peer, cause.toString());
    ctx.close();
  }
}
