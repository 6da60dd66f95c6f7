package dev.ambient.ztunnel.hbone;

import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.identity.CertificateProvider;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import dev.ambient.ztunnel.inbound.InboundDispatcher;
import dev.ambient.ztunnel.relay.LiveRelays;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.relay.SocketFactory;
import dev.ambient.ztunnel.tls.TlsContexts;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HBONE listener of one local workload: mTLS with the workload's own certificate, HTTP/2, one
 * CONNECT tunnel per stream. Bound on the workload's address (port 15008 in production).
 */
public final class HboneServer {
  private static final Logger LOG = LoggerFactory.getLogger(HboneServer.class);

  private final Workload workload;
  private final InetSocketAddress bindAddress;
  private final NetTransport transport;
  private final CertificateProvider certificates;
  private final TlsContexts tls;
  private final InboundDispatcher dispatcher;
  private final LiveRelays relays;
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final java.util.concurrent.atomic.AtomicLong accepted =
      new java.util.concurrent.atomic.AtomicLong();
  private final CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
  private final SocketFactory sockets;
  private volatile Channel serverChannel;

  public HboneServer(
      Workload workload,
      InetSocketAddress bindAddress,
      NetTransport transport,
      CertificateProvider certificates,
      TlsContexts tls,
      InboundDispatcher dispatcher,
      LiveRelays relays) {
    this(
        workload,
        bindAddress,
        transport,
        SocketFactory.host(transport),
        certificates,
        tls,
        dispatcher,
        relays);
  }

  /** With the listening socket made by {@code sockets} (inside the pod in in-pod mode). */
  public HboneServer(
      Workload workload,
      InetSocketAddress bindAddress,
      NetTransport transport,
      SocketFactory sockets,
      CertificateProvider certificates,
      TlsContexts tls,
      InboundDispatcher dispatcher,
      LiveRelays relays) {
    this.sockets = sockets;
    this.workload = workload;
    this.bindAddress = bindAddress;
    this.transport = transport;
    this.certificates = certificates;
    this.tls = tls;
    this.dispatcher = dispatcher;
    this.relays = relays;
  }

  public Workload workload() {
    return workload;
  }

  /** Binds the listener; the future completes with the bound address. */
  public CompletableFuture<InetSocketAddress> start() {
    CompletableFuture<InetSocketAddress> result = bound;
    ServerBootstrap b =
        new ServerBootstrap()
            .group(transport.bossGroup(), transport.workerGroup())
            .channelFactory(sockets.servers())
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.AUTO_READ, false)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    accepted.incrementAndGet();
                    connections.add(ch);
                    ch.closeFuture().addListener(f -> LOG.debug("HBONE connection {} closed", ch));
                    withCertificate(ch);
                  }
                });
    ChannelFuture bind = b.bind(bindAddress);
    bind.addListener(
        f -> {
          if (f.isSuccess()) {
            serverChannel = bind.channel();
            LOG.info("HBONE listener for {} on {}", workload.uid(), bind.channel().localAddress());
            result.complete((InetSocketAddress) bind.channel().localAddress());
          } else {
            result.completeExceptionally(f.cause());
          }
        });
    return result;
  }

  /** Completes with the bound address once {@link #start} succeeded. */
  public CompletableFuture<InetSocketAddress> bound() {
    return bound;
  }

  /** The number of TCP connections accepted since start. */
  public long acceptedConnections() {
    return accepted.get();
  }

  /** The number of accepted TLS connections currently open. */
  public int openConnections() {
    return connections.size();
  }

  /** Stops accepting; tunnels already open go on. */
  public CompletableFuture<Void> stopAccepting() {
    Channel ch = serverChannel;
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (ch == null) {
      f.complete(null);
    } else {
      ch.close().addListener(x -> f.complete(null));
    }
    return f;
  }

  /** Tells every client to open no new streams here; streams in flight finish. */
  public void goAway() {
    for (Channel ch : connections) {
      if (ch.pipeline().get(HboneServerConnection.CODEC) != null) {
        ch.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
      }
    }
  }

  /** Closes the listener and every connection it accepted. */
  public CompletableFuture<Void> close() {
    return stopAccepting()
        .thenCompose(
            v -> {
              CompletableFuture<Void> f = new CompletableFuture<>();
              connections.close().addListener(x -> f.complete(null));
              return f;
            });
  }

  private void withCertificate(Channel ch) {
    WorkloadCertificate cert = certificates.cached(workload.identity());
    if (cert != null) {
      startTls(ch, cert);
      return;
    }
    certificates
        .certificate(workload.identity())
        .whenComplete(
            (c, t) ->
                ch.eventLoop()
                    .execute(
                        () -> {
                          if (t != null || c == null) {
                            Throwable cause = t instanceof CompletionException ? t.getCause() : t;
                            LOG.warn(
                                "HBONE connection from {} to {} closed: no certificate for {}: {}",
                                ch.remoteAddress(),
                                workload.uid(),
                                workload.identity(),
                                cause);
                            ch.close();
                          } else {
                            startTls(ch, c);
                          }
                        }));
  }

  private void startTls(Channel ch, WorkloadCertificate cert) {
    if (!ch.isActive()) {
      return;
    }
    SslHandler ssl;
    try {
      ssl = tls.server(cert).newHandler(ch.alloc());
    } catch (Exception e) {
      LOG.warn("HBONE listener for {}: cannot build TLS context: {}", workload.uid(), e.toString());
      ch.close();
      return;
    }
    ch.pipeline()
        .addLast("tls", ssl)
        .addLast(
            HboneServerConnection.HANDSHAKE,
            new HboneServerConnection(workload, dispatcher, relays));
    ch.config().setAutoRead(true);
  }
}
