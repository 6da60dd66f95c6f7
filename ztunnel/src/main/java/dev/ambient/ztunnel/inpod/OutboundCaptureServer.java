package dev.ambient.ztunnel.inpod;

import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.outbound.OutboundProxy;
import dev.ambient.ztunnel.relay.LiveRelays;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.relay.SocketFactory;
import dev.ambient.ztunnel.relay.TcpListener;
import io.netty.channel.Channel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Port 15001 inside a pod: the pod's OUTPUT rule redirects its outgoing TCP here; the original
 * destination comes from SO_ORIGINAL_DST and the connection takes the common outbound path with the
 * pod as source and upstream sockets made inside the pod (marked).
 */
final class OutboundCaptureServer {
  private static final Logger LOG = LoggerFactory.getLogger(OutboundCaptureServer.class);

  private final Supplier<Workload> source;
  private final SocketFactory sockets;
  private final NetTransport transport;
  private final OutboundProxy outbound;
  private final LiveRelays relays;
  private final TcpListener listener = new TcpListener();

  OutboundCaptureServer(
      Supplier<Workload> source,
      SocketFactory sockets,
      NetTransport transport,
      OutboundProxy outbound,
      LiveRelays relays) {
    this.source = source;
    this.sockets = sockets;
    this.transport = transport;
    this.outbound = outbound;
    this.relays = relays;
  }

  CompletableFuture<InetSocketAddress> start(InetSocketAddress bindAddress) {
    return listener.bind(transport, sockets.servers(), bindAddress, true, this::accept);
  }

  CompletableFuture<Void> stop() {
    return listener.stop();
  }

  private void accept(Channel ch) {
    Workload pod = source.get();
    InetSocketAddress dst;
    try {
      dst = SocketOptions.originalDestination(SocketOptions.fd(ch));
    } catch (IOException e) {
      LOG.warn(
          "outbound capture for {} from {}: {}", pod.uid(), ch.remoteAddress(), e.getMessage());
      ch.close();
      return;
    }
    if (dst.equals(ch.localAddress())) {
      // Connected to 15001 directly, not redirected: relaying would loop back here.
      LOG.warn(
          "outbound capture for {}: connection from {} was not redirected (destination {})",
          pod.uid(),
          ch.remoteAddress(),
          dst);
      ch.close();
      return;
    }
    outbound
        .connect(pod, sockets, dst, ch)
        .whenComplete(
            (conn, t) ->
                ch.eventLoop()
                    .execute(
                        () -> {
                          if (t != null) {
                            // OutboundProxy logged why; a reset tells the app it failed.
                            ch.close();
                            return;
                          }
                          if (!ch.isActive()) {
                            conn.abort("client went away before the upstream was ready");
                            return;
                          }
                          relays.track(conn.relay());
                        }));
  }
}
