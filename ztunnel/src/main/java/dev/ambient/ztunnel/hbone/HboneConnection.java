package dev.ambient.ztunnel.hbone;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pooled HBONE client connection. Stream slots are reserved before the connection is even up,
 * so concurrent callers share a connection that is still handshaking. A connection that got GOAWAY,
 * failed a PING or sat idle takes no new streams; its streams in flight finish.
 */
final class HboneConnection {
  private static final Logger LOG = LoggerFactory.getLogger(HboneConnection.class);

  /** Stream count value of a connection that may take no more streams. */
  private static final int RETIRED = -1;

  final HbonePoolKey key;
  final CompletableFuture<Channel> ready = new CompletableFuture<>();
  private final HbonePoolSettings settings;
  private final java.util.function.Consumer<HboneConnection> onRetire;
  private final AtomicInteger streams = new AtomicInteger();
  private volatile Channel channel;
  private long pingSentNanos;
  private ScheduledFuture<?> pinger;
  private ScheduledFuture<?> idleTimer;

  HboneConnection(
      HbonePoolKey key,
      HbonePoolSettings settings,
      java.util.function.Consumer<HboneConnection> onRetire) {
    this.key = key;
    this.settings = settings;
    this.onRetire = onRetire;
  }

  /** Takes a stream slot if this connection can carry one more stream. */
  boolean tryReserve() {
    while (true) {
      int n = streams.get();
      if (n == RETIRED || n >= settings.maxStreamsPerConnection()) {
        return false;
      }
      if (streams.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** A stream ended (or its opening failed): give its slot back, start the idle clock at zero. */
  void release() {
    while (true) {
      int n = streams.get();
      if (n <= 0) {
        return;
      }
      if (streams.compareAndSet(n, n - 1)) {
        if (n == 1) {
          scheduleIdleClose();
        }
        return;
      }
    }
  }

  int activeStreams() {
    return Math.max(0, streams.get());
  }

  boolean retired() {
    return streams.get() == RETIRED;
  }

  /** No new streams; the connection closes once the last stream has ended. */
  void retire(String why) {
    int n = streams.getAndSet(RETIRED);
    if (n != RETIRED) {
      LOG.debug("HBONE connection to {} retired: {}", key.address(), why);
      onRetire.accept(this);
      if (n == 0) {
        close();
      }
    }
  }

  /** Called on the channel's loop once TLS and HTTP/2 are up. */
  void established(Channel ch) {
    this.channel = ch;
    ch.pipeline().addLast("hbone-conn", new ConnectionEvents());
    long interval = settings.pingInterval().toNanos();
    pinger =
        ch.eventLoop().scheduleAtFixedRate(this::ping, interval, interval, TimeUnit.NANOSECONDS);
    ch.closeFuture()
        .addListener(
            f -> {
              pinger.cancel(false);
              streams.set(RETIRED);
              onRetire.accept(HboneConnection.this);
            });
    if (streams.get() == 0) {
      scheduleIdleClose();
    }
    ready.complete(ch);
  }

  private void ping() {
    Channel ch = channel;
    long now = System.nanoTime();
    if (pingSentNanos != 0) {
      if (now - pingSentNanos >= settings.pingTimeout().toNanos()) {
        LOG.warn(
            "HBONE connection to {} closed: PING unanswered for {}",
            key.address(),
            settings.pingTimeout());
        streams.set(RETIRED);
        ch.close();
      }
      return;
    }
    pingSentNanos = now;
    ch.writeAndFlush(new DefaultHttp2PingFrame(now));
  }

  private void scheduleIdleClose() {
    Channel ch = channel;
    if (ch == null) {
      return;
    }
    ch.eventLoop()
        .execute(
            () -> {
              if (idleTimer != null) {
                idleTimer.cancel(false);
              }
              idleTimer =
                  ch.eventLoop()
                      .schedule(
                          () -> {
                            // Only an idle connection is retired; a new stream wins the race.
                            if (streams.compareAndSet(0, RETIRED)) {
                              LOG.debug("HBONE connection to {} idle, closing", key.address());
                              onRetire.accept(HboneConnection.this);
                              close();
                            }
                          },
                          settings.idleTimeout().toNanos(),
                          TimeUnit.NANOSECONDS);
            });
  }

  void close() {
    Channel ch = channel;
    if (ch != null) {
      ch.close();
    }
  }

  /** After a retire, the last stream to end closes the connection. */
  void streamEnded() {
    if (retired() && channel != null) {
      channel
          .eventLoop()
          .execute(
              () -> {
                if (HboneConnection.this.channel.isActive() && noOpenStreams()) {
                  close();
                }
              });
    }
  }

  private boolean noOpenStreams() {
    io.netty.handler.codec.http2.Http2FrameCodec codec =
        channel.pipeline().get(io.netty.handler.codec.http2.Http2FrameCodec.class);
    return codec == null || codec.connection().numActiveStreams() == 0;
  }

  /** Connection-level frames that the multiplexer passes on: PING acks and GOAWAY. */
  private final class ConnectionEvents extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2PingFrame ping && ping.ack()) {
          pingSentNanos = 0;
        } else if (msg instanceof Http2GoAwayFrame goAway) {
          retire("GOAWAY " + goAway.errorCode());
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("HBONE connection to {} failed: {}", key.address(), cause.toString());
      ctx.close();
    }
  }
}
