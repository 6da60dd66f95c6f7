package dev.ambient.ztunnel.outbound;

import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.state.StateHolder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The SOCKS5 front end of the outbound path (port 15080). */
public final class Socks5Server {
  private static final Logger LOG = LoggerFactory.getLogger(Socks5Server.class);
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  private final InetSocketAddress bindAddress;
  private final NetTransport transport;
  private final StateHolder state;
  private final String nodeName;
  private final OutboundProxy proxy;
  private final Duration handshakeTimeout;
  private volatile Channel serverChannel;

  public Socks5Server(
      InetSocketAddress bindAddress,
      NetTransport transport,
      StateHolder state,
      String nodeName,
      OutboundProxy proxy,
      Duration handshakeTimeout) {
    this.bindAddress = bindAddress;
    this.transport = transport;
    this.state = state;
    this.nodeName = nodeName;
    this.proxy = proxy;
    this.handshakeTimeout = handshakeTimeout;
  }

  public CompletableFuture<InetSocketAddress> start() {
    CompletableFuture<InetSocketAddress> result = new CompletableFuture<>();
    ChannelFuture bind =
        new ServerBootstrap()
            .group(transport.bossGroup(), transport.workerGroup())
            .channel(transport.serverChannelClass())
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(new Socks5Handler(state, nodeName, proxy, handshakeTimeout));
                  }
                })
            .bind(bindAddress);
    bind.addListener(
        f -> {
          if (f.isSuccess()) {
            serverChannel = bind.channel();
            LOG.info("SOCKS5 listener on {}", bind.channel().localAddress());
            result.complete((InetSocketAddress) bind.channel().localAddress());
          } else {
            result.completeExceptionally(f.cause());
          }
        });
    return result;
  }

  /** Stops accepting; connections already relaying go on. */
  public CompletableFuture<Void> stop() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    Channel ch = serverChannel;
    if (ch == null) {
      f.complete(null);
    } else {
      ch.close().addListener(x -> f.complete(null));
    }
    return f;
  }
}
