package dev.ambient.ztunnel.relay;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
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
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The event loops and the matching channel classes. The system property {@code ambient.transport}
 * ({@code io_uring}, {@code nio}, {@code epoll}) chooses; the default is io_uring when the kernel
 * allows it, else NIO.
 *
 * <p>Epoll is not the default because Netty 4.2.18's epoll handler loses data on half-closed
 * connections: when a channel's interest set empties (input ended, reads paused, nothing queued) it
 * removes the fd from epoll but still believes it registered, so the next write that needs EPOLLOUT
 * fails with ENOENT and the queued bytes are dropped ({@code HalfCloseToSlowReceiverTest} catches
 * it). Newer Netty releases are not fully on Maven Central.
 */
public record NetTransport(
    String name,
    EventLoopGroup bossGroup,
    EventLoopGroup workerGroup,
    Class<? extends ServerSocketChannel> serverChannelClass,
    Class<? extends SocketChannel> channelClass) {

  public static final String PROPERTY = "ambient.transport";

  /** The configured or best available transport with {@code workerThreads} I/O threads. */
  public static NetTransport create(int workerThreads) {
    String wanted = System.getProperty(PROPERTY, "").toLowerCase(Locale.ROOT);
    return switch (wanted) {
      case "nio" -> nio(workerThreads);
      case "epoll" -> {
        if (!Epoll.isAvailable()) {
          throw new IllegalStateException(
              PROPERTY + "=epoll: epoll unavailable: " + Epoll.unavailabilityCause());
        }
        yield of(
            "epoll",
            EpollIoHandler.newFactory(),
            workerThreads,
            EpollServerSocketChannel.class,
            EpollSocketChannel.class);
      }
      case "io_uring", "" -> {
        if (IoUring.isAvailable()) {
          yield of(
              "io_uring",
              IoUringIoHandler.newFactory(),
              workerThreads,
              IoUringServerSocketChannel.class,
              IoUringSocketChannel.class);
        }
        if (!wanted.isEmpty()) {
          throw new IllegalStateException(
              PROPERTY + "=io_uring: io_uring unavailable: " + IoUring.unavailabilityCause());
        }
        yield nio(workerThreads);
      }
      default ->
          throw new IllegalArgumentException(
              PROPERTY + "=" + wanted + ": expected io_uring, nio or epoll");
    };
  }

  public static NetTransport nio(int workerThreads) {
    return of(
        "nio",
        NioIoHandler.newFactory(),
        workerThreads,
        NioServerSocketChannel.class,
        NioSocketChannel.class);
  }

  private static NetTransport of(
      String name,
      IoHandlerFactory factory,
      int workerThreads,
      Class<? extends ServerSocketChannel> server,
      Class<? extends SocketChannel> client) {
    return new NetTransport(
        name,
        new MultiThreadIoEventLoopGroup(1, factory),
        new MultiThreadIoEventLoopGroup(workerThreads, factory),
        server,
        client);
  }

  public void shutdown() {
    bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
  }
}
