package dev.ambient.ztunnel.relay;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The event loops and the matching channel classes: epoll when the native transport loads, NIO
 * otherwise. The owner of the groups shuts them down with {@link #shutdown}.
 */
public record NetTransport(
    EventLoopGroup bossGroup,
    EventLoopGroup workerGroup,
    Class<? extends ServerSocketChannel> serverChannelClass,
    Class<? extends SocketChannel> channelClass) {

  /** Epoll if available, else NIO, with {@code workerThreads} I/O threads (0 = Netty default). */
  public static NetTransport create(int workerThreads) {
    if (Epoll.isAvailable()) {
      return new NetTransport(
          new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()),
          new MultiThreadIoEventLoopGroup(workerThreads, EpollIoHandler.newFactory()),
          EpollServerSocketChannel.class,
          EpollSocketChannel.class);
    }
    return nio(workerThreads);
  }

  public static NetTransport nio(int workerThreads) {
    return new NetTransport(
        new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()),
        new MultiThreadIoEventLoopGroup(workerThreads, NioIoHandler.newFactory()),
        NioServerSocketChannel.class,
        NioSocketChannel.class);
  }

  public void shutdown() {
    bossGroup.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
    workerGroup.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
  }
}
