package dev.ambient.ztunnel.hbone;

import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.inbound.InboundDispatcher;
import dev.ambient.ztunnel.relay.LiveRelays;
import dev.ambient.ztunnel.tls.PeerIdentity;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for the TLS handshake of an accepted HBONE connection, then switches it to HTTP/2. A failed
 * handshake (plaintext, no client certificate, foreign or expired certificate) closes this
 * connection only, with one log line.
 */
final class HboneServerConnection extends ChannelInboundHandlerAdapter {
  static final String HANDSHAKE = "hbone-handshake";
  static final String CODEC = "h2";
  private static final Logger LOG = LoggerFactory.getLogger(HboneServerConnection.class);

  private final Workload workload;
  private final InboundDispatcher dispatcher;
  private final LiveRelays relays;

  /** A connection without streams for between one and two of these periods is closed. */
  static final Duration IDLE_CONNECTION_TIMEOUT = Duration.ofMinutes(5);

  private boolean failed;

  HboneServerConnection(Workload workload, InboundDispatcher dispatcher, LiveRelays relays) {
    this.workload = workload;
    this.dispatcher = dispatcher;
    this.relays = relays;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof SslHandshakeCompletionEvent done) {
      if (!done.isSuccess()) {
        refuse(ctx, "TLS handshake failed: " + describe(done.cause()));
        return;
      }
      SslHandler ssl = ctx.pipeline().get(SslHandler.class);
      if (!ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol())) {
        refuse(ctx, "ALPN did not select h2 (got " + ssl.applicationProtocol() + ")");
        return;
      }
      SpiffeId peer;
      try {
        peer = PeerIdentity.of(ssl.engine().getSession());
      } catch (SSLPeerUnverifiedException e) {
        refuse(ctx, "no verified client identity: " + e.getMessage());
        return;
      }
      switchToHttp2(ctx, peer);
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  private void switchToHttp2(ChannelHandlerContext ctx, SpiffeId peer) {
    Channel parent = ctx.channel();
    InetSocketAddress peerAddress = (InetSocketAddress) parent.remoteAddress();
    InetSocketAddress hboneAddress = (InetSocketAddress) parent.localAddress();
    ChannelInitializer<Http2StreamChannel> streams =
        new ChannelInitializer<>() {
          @Override
          protected void initChannel(Http2StreamChannel stream) {
            stream.config().setAutoRead(false);
            stream
                .pipeline()
                .addLast(
                    new HboneStreamHandler(
                        workload, peer, peerAddress, hboneAddress, dispatcher, relays));
          }
        };
    Http2FrameCodec codec = Http2Tuning.serverCodec();
    ctx.pipeline()
        .addAfter(HANDSHAKE, CODEC, codec)
        .addAfter(CODEC, "h2-reset-guard", Http2Tuning.serverResetGuard(codec))
        .addAfter("h2-reset-guard", "h2-mux", new Http2MultiplexHandler(streams));
    ctx.pipeline().remove(this);
    Http2Tuning.openConnectionWindow(parent);
    LOG.debug("HBONE connection from {} ({}) switched to HTTP/2", peerAddress, peer);
    closeWhenIdle(parent, codec);
  }

  /**
   * Clients PING their connections, so transport idleness never shows; what matters is a connection
   * that has carried no stream for a whole period. Those are closed.
   */
  private static void closeWhenIdle(Channel parent, Http2FrameCodec codec) {
    long period = IDLE_CONNECTION_TIMEOUT.toNanos();
    boolean[] idleLastTick = {false};
    ScheduledFuture<?> check =
        parent
            .eventLoop()
            .scheduleAtFixedRate(
                () -> {
                  boolean idle = codec.connection().numActiveStreams() == 0;
                  if (idle && idleLastTick[0]) {
                    LOG.debug("HBONE connection {} idle, closing", parent);
                    parent.close();
                  }
                  idleLastTick[0] = idle;
                },
                period,
                period,
                TimeUnit.NANOSECONDS);
    parent.closeFuture().addListener(f -> check.cancel(false));
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Decoder errors (e.g. plaintext bytes) arrive here before the handshake event.
    refuse(ctx, describe(cause));
  }

  private void refuse(ChannelHandlerContext ctx, String reason) {
    if (!failed) {
      failed = true;
      LOG.warn(
          "HBONE connection from {} to {} ({}) refused: {}",
          ctx.channel().remoteAddress(),
          ctx.channel().localAddress(),
          workload.uid(),
          reason);
    }
    ctx.close();
  }

  private static String describe(Throwable t) {
    StringBuilder b = new StringBuilder(t.toString());
    Throwable c = t.getCause();
    for (int i = 0; c != null && i < 3; i++, c = c.getCause()) {
      b.append(" / ").append(c);
    }
    return b.toString();
  }
}
