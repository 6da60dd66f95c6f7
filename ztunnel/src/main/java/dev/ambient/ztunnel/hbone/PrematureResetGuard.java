package dev.ambient.ztunnel.hbone;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Stream;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HBONE server's rapid-reset defence (CVE-2023-44487): a client that cancels too many tunnels
 * before we answered them gets GOAWAY {@code ENHANCE_YOUR_CALM} and loses the connection.
 *
 * <p>Only premature resets count, those of streams whose CONNECT we have not answered yet: that is
 * the attack (the server connects upstream for nothing, again and again). A reset of an answered
 * tunnel is how a waypoint Envoy ends a tunnel whose inner connection closed (CONNECT_ERROR), one
 * per request under ordinary load, and must never cost the other tunnels their connection. Sits
 * between the frame codec and the stream multiplexer, where every inbound RST_STREAM passes while
 * its stream still exists.
 */
final class PrematureResetGuard extends ChannelDuplexHandler {
  private static final Logger LOG = LoggerFactory.getLogger(PrematureResetGuard.class);

  private final Http2Connection connection;
  private final int maxPremature;
  private final long windowNanos;
  private long windowStart = System.nanoTime();
  private int premature;
  private boolean closing;

  PrematureResetGuard(Http2Connection connection, int maxPremature, long window, TimeUnit unit) {
    this.connection = connection;
    this.maxPremature = maxPremature;
    this.windowNanos = unit.toNanos(window);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2ResetFrame reset && reset.stream() != null && !closing) {
      Http2Stream stream = connection.stream(reset.stream().id());
      if (stream != null && !stream.isHeadersSent() && tooMany()) {
        closing = true;
        LOG.warn(
            "HBONE connection from {}: more than {} streams reset before they were answered"
                + " within {} s; closing it (rapid reset)",
            ctx.channel().remoteAddress(),
            maxPremature,
            TimeUnit.NANOSECONDS.toSeconds(windowNanos));
        ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.ENHANCE_YOUR_CALM))
            .addListener(ChannelFutureListener.CLOSE);
      }
    }
    ctx.fireChannelRead(msg);
  }

  private boolean tooMany() {
    long now = System.nanoTime();
    if (now - windowStart > windowNanos) {
      windowStart = now;
      premature = 0;
    }
    return ++premature > maxPremature;
  }
}
