package dev.ambient.ztunnel.outbound;

import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.relay.TcpListener;
import dev.ambient.ztunnel.state.StateHolder;
import io.netty.channel.ReflectiveChannelFactory;
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
  private final TcpListener listener = new TcpListener();

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
    return listener
        .bind(
            transport,
            new ReflectiveChannelFactory<>(transport.serverChannelClass()),
            bindAddress,
            false,
            ch ->
                ch.pipeline().addLast(new Socks5Handler(state, nodeName, proxy, handshakeTimeout)))
        .thenApply(
            bound -> {
              LOG.info("SOCKS5 listener on {}", bound);
              return bound;
            });
  }

  /** Stops accepting; connections already relaying go on. */
  public CompletableFuture<Void> stop() {
    return listener.stop();
  }
}
