package dev.ambient.ztunnel.hbone;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.relay.SocketFactory;
import dev.ambient.ztunnel.tls.PeerIdentity;
import dev.ambient.ztunnel.tls.TlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * HBONE client: a pool of mTLS HTTP/2 connections, each carrying up to {@code
 * maxStreamsPerConnection} CONNECT tunnels. {@link #open} never blocks; it completes once the
 * server answered 200.
 */
public final class HbonePool implements AutoCloseable {
  private final NetTransport transport;
  private final TlsContexts tls;
  private final HbonePoolSettings settings;
  private final SocketFactory hostSockets;
  private final Map<HbonePoolKey, List<HboneConnection>> connections = new HashMap<>();
  private boolean closed;

  public HbonePool(NetTransport transport, TlsContexts tls, HbonePoolSettings settings) {
    this.transport = transport;
    this.tls = tls;
    this.settings = settings;
    this.hostSockets = SocketFactory.host(transport);
  }

  /**
   * Opens a tunnel to {@code authority} through the HBONE server at {@code hboneAddress}, which
   * must prove one of {@code expectedServer}. The stream channel has auto-read off and is ready for
   * a relay. A non-200 answer fails with {@link HboneStatusException}, a wrong server identity with
   * {@link PeerIdentityMismatchException}.
   */
  public CompletableFuture<Http2StreamChannel> open(
      WorkloadCertificate source,
      Set<SpiffeId> expectedServer,
      InetSocketAddress hboneAddress,
      String authority) {
    return open(source, hostSockets, expectedServer, hboneAddress, authority);
  }

  /** As {@link #open(WorkloadCertificate, Set, InetSocketAddress, String)}, from given sockets. */
  public CompletableFuture<Http2StreamChannel> open(
      WorkloadCertificate source,
      SocketFactory sockets,
      Set<SpiffeId> expectedServer,
      InetSocketAddress hboneAddress,
      String authority) {
    HbonePoolKey key =
        new HbonePoolKey(source.identity(), sockets.id(), expectedServer, hboneAddress);
    HboneConnection conn;
    try {
      conn = reserve(key, source, sockets);
    } catch (IllegalStateException e) {
      return CompletableFuture.failedFuture(e);
    }
    // A slot is given back when the stream closes, or right away if no stream was created.
    return conn.ready.thenCompose(parent -> openStream(conn, parent, authority));
  }

  /** Connections currently pooled for reuse (for tests and the admin dump). */
  public synchronized int pooledConnections() {
    int n = 0;
    for (List<HboneConnection> l : connections.values()) {
      n += l.size();
    }
    return n;
  }

  /** Sends no new streams anywhere; open tunnels finish, then their connections close. */
  public void drain() {
    List<HboneConnection> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      connections.values().forEach(all::addAll);
    }
    all.forEach(c -> c.retire("pool draining"));
  }

  @Override
  public void close() {
    List<HboneConnection> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      connections.values().forEach(all::addAll);
      connections.clear();
    }
    all.forEach(HboneConnection::close);
  }

  /** Closes every connection made by {@code socketsId} (a pod that left). */
  public void closeSockets(String socketsId) {
    List<HboneConnection> gone = new ArrayList<>();
    synchronized (this) {
      for (var it = connections.entrySet().iterator(); it.hasNext(); ) {
        var e = it.next();
        if (e.getKey().sockets().equals(socketsId)) {
          gone.addAll(e.getValue());
          it.remove();
        }
      }
    }
    gone.forEach(HboneConnection::close);
  }

  private synchronized HboneConnection reserve(
      HbonePoolKey key, WorkloadCertificate source, SocketFactory sockets) {
    if (closed) {
      throw new IllegalStateException("HBONE pool is closed");
    }
    List<HboneConnection> list = connections.computeIfAbsent(key, k -> new ArrayList<>());
    for (HboneConnection c : list) {
      if (c.tryReserve()) {
        return c;
      }
    }
    HboneConnection fresh = new HboneConnection(key, settings, c -> remove(key, c));
    fresh.tryReserve();
    list.add(fresh);
    connect(fresh, source, sockets);
    return fresh;
  }

  private void connect(HboneConnection conn, WorkloadCertificate source, SocketFactory sockets) {
    InetSocketAddress address = conn.key.address();
    SslHandler ssl;
    try {
      ssl =
          tls.client(source)
              .newHandler(
                  io.netty.buffer.ByteBufAllocator.DEFAULT,
                  address.getAddress().getHostAddress(),
                  address.getPort());
    } catch (Exception e) {
      fail(conn, new IOException("cannot build TLS context for " + source.identity(), e));
      return;
    }
    ssl.setHandshakeTimeout(settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
    ChannelFuture f =
        new Bootstrap()
            .group(transport.workerGroup())
            .channelFactory(sockets.clients())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast("tls", ssl).addLast("hbone-client", new Handshake(conn));
                  }
                })
            .connect(address);
    f.addListener(
        x -> {
          if (!x.isSuccess()) {
            fail(conn, new IOException("HBONE connect to " + address + " failed", x.cause()));
          }
        });
  }

  private void fail(HboneConnection conn, Throwable cause) {
    remove(conn.key, conn);
    conn.retire("connect failed");
    conn.ready.completeExceptionally(cause);
  }

  /** Checks ALPN and the server identity, then switches the connection to HTTP/2. */
  private final class Handshake extends ChannelInboundHandlerAdapter {
    private final HboneConnection conn;

    Handshake(HboneConnection conn) {
      this.conn = conn;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (!(evt instanceof SslHandshakeCompletionEvent done)) {
        super.userEventTriggered(ctx, evt);
        return;
      }
      InetSocketAddress address = conn.key.address();
      if (!done.isSuccess()) {
        failAndClose(
            ctx, new IOException("TLS handshake with " + address + " failed", done.cause()));
        return;
      }
      SslHandler ssl = ctx.pipeline().get(SslHandler.class);
      if (!ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol())) {
        failAndClose(
            ctx,
            new IOException(
                "HBONE server " + address + " did not negotiate h2: " + ssl.applicationProtocol()));
        return;
      }
      SpiffeId server;
      try {
        server = PeerIdentity.of(ssl.engine().getSession());
      } catch (Exception e) {
        failAndClose(ctx, new IOException("HBONE server " + address + " has no identity", e));
        return;
      }
      if (!conn.key.expectedServer().contains(server)) {
        failAndClose(
            ctx, new PeerIdentityMismatchException(address, server, conn.key.expectedServer()));
        return;
      }
      ctx.pipeline()
          .addAfter("tls", "h2", Http2Tuning.clientCodec())
          .addAfter("h2", "h2-mux", new Http2MultiplexHandler(new RefuseServerStreams()));
      ctx.pipeline().remove(this);
      Http2Tuning.openConnectionWindow(ctx.channel());
      conn.established(ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failAndClose(ctx, cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      fail(conn, new IOException("HBONE connection to " + conn.key.address() + " closed"));
    }

    private void failAndClose(ChannelHandlerContext ctx, Throwable cause) {
      fail(conn, cause);
      ctx.close();
    }
  }

  /** The server may not open streams on a client connection. */
  private static final class RefuseServerStreams extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.close();
    }
  }

  private CompletableFuture<Http2StreamChannel> openStream(
      HboneConnection conn, Channel parent, String authority) {
    CompletableFuture<Http2StreamChannel> result = new CompletableFuture<>();
    new Http2StreamChannelBootstrap(parent)
        .option(ChannelOption.AUTO_READ, false)
        .handler(new ChannelInboundHandlerAdapter())
        .open()
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                conn.release();
                result.completeExceptionally(
                    new IOException(
                        "cannot open HBONE stream to " + conn.key.address(), f.cause()));
                return;
              }
              Http2StreamChannel stream = (Http2StreamChannel) f.getNow();
              stream
                  .closeFuture()
                  .addListener(
                      x -> {
                        conn.release();
                        conn.streamEnded();
                      });
              stream.pipeline().addLast(new AwaitResponse(result, authority, conn.key.address()));
              Http2Headers headers =
                  new DefaultHttp2Headers().method("CONNECT").authority(authority);
              stream
                  .writeAndFlush(new DefaultHttp2HeadersFrame(headers))
                  .addListener(
                      w -> {
                        if (!w.isSuccess()) {
                          result.completeExceptionally(
                              new IOException(
                                  "HBONE CONNECT to " + authority + " failed", w.cause()));
                          stream.close();
                        }
                      });
              stream.read();
            });
    return result;
  }

  /** Reads the CONNECT answer and hands the stream over on 200. */
  private static final class AwaitResponse extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<Http2StreamChannel> result;
    private final String authority;
    private final InetSocketAddress server;

    AwaitResponse(
        CompletableFuture<Http2StreamChannel> result, String authority, InetSocketAddress server) {
      this.result = result;
      this.authority = authority;
      this.server = server;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame frame) {
          CharSequence status = frame.headers().status();
          if (status != null && "200".contentEquals(status) && !frame.isEndStream()) {
            ctx.pipeline().remove(this);
            if (!result.complete((Http2StreamChannel) ctx.channel())) {
              ctx.close();
            }
            return;
          }
          int code;
          try {
            code = status == null ? 0 : Integer.parseInt(status.toString());
          } catch (NumberFormatException e) {
            code = 0;
          }
          result.completeExceptionally(new HboneStatusException(code, authority, server));
        } else {
          result.completeExceptionally(
              new IOException("HBONE server " + server + " sent data before the CONNECT answer"));
        }
        ctx.close();
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof Http2ResetFrame reset) {
        result.completeExceptionally(
            new IOException(
                "HBONE server "
                    + server
                    + " reset the CONNECT to "
                    + authority
                    + ", code "
                    + reset.errorCode()));
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.completeExceptionally(
          new IOException("HBONE stream to " + authority + " via " + server + " closed"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.completeExceptionally(cause);
      ctx.close();
    }
  }

  private synchronized void remove(HbonePoolKey key, HboneConnection c) {
    List<HboneConnection> list = connections.get(key);
    if (list != null) {
      list.remove(c);
      if (list.isEmpty()) {
        connections.remove(key);
      }
    }
  }
}
