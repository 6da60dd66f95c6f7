package dev.ambient.ztunnel.relay;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ServerChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One accepting TCP socket: binds, hands each accepted channel to an initializer, and stops. The
 * listeners that feed a {@link RelaySession} accept with reads paused and half-close allowed, as
 * the relay expects its channels.
 */
public final class TcpListener {
  private volatile Channel serverChannel;

  /**
   * Binds and completes with the bound address.
   *
   * @param forRelay accepted channels start with auto-read off and half-closure allowed
   */
  public CompletableFuture<InetSocketAddress> bind(
      NetTransport transport,
      ChannelFactory<? extends ServerChannel> servers,
      InetSocketAddress address,
      boolean forRelay,
      Consumer<Channel> onAccept) {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(transport.bossGroup(), transport.workerGroup())
            .channelFactory(servers)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    onAccept.accept(ch);
                  }
                });
    if (forRelay) {
      b.childOption(ChannelOption.AUTO_READ, false)
          .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }
    CompletableFuture<InetSocketAddress> result = new CompletableFuture<>();
    ChannelFuture bind = b.bind(address);
    bind.addListener(
        f -> {
          if (f.isSuccess()) {
            serverChannel = bind.channel();
            result.complete((InetSocketAddress) bind.channel().localAddress());
          } else {
            result.completeExceptionally(f.cause());
          }
        });
    return result;
  }

  /** Stops accepting; connections already accepted go on. */
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
