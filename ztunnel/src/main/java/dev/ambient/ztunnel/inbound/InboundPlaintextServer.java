package dev.ambient.ztunnel.inbound;

import dev.ambient.ztunnel.inbound.InboundDispatcher.Admission;
import dev.ambient.ztunnel.metrics.ConnectionTracker;
import dev.ambient.ztunnel.relay.LiveRelays;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.relay.RelaySession;
import dev.ambient.ztunnel.relay.SocketFactory;
import dev.ambient.ztunnel.relay.TcpListener;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inbound plaintext (port 15006): traffic that reached a local workload without HBONE. There is no
 * peer identity, so policy sees a {@code null} principal and metrics say no mTLS.
 */
public final class InboundPlaintextServer {
  private static final Logger LOG = LoggerFactory.getLogger(InboundPlaintextServer.class);

  private final InetSocketAddress bindAddress;
  private final NetTransport transport;
  private final OriginalDestination originalDestination;
  private final InboundDispatcher dispatcher;
  private final LiveRelays relays;
  private final SocketFactory sockets;
  private final TcpListener listener = new TcpListener();

  public InboundPlaintextServer(
      InetSocketAddress bindAddress,
      NetTransport transport,
      OriginalDestination originalDestination,
      InboundDispatcher dispatcher,
      LiveRelays relays) {
    this(
        bindAddress,
        transport,
        SocketFactory.host(transport),
        originalDestination,
        dispatcher,
        relays);
  }

  /** With the listening socket made by {@code sockets} (inside a pod in in-pod mode). */
  public InboundPlaintextServer(
      InetSocketAddress bindAddress,
      NetTransport transport,
      SocketFactory sockets,
      OriginalDestination originalDestination,
      InboundDispatcher dispatcher,
      LiveRelays relays) {
    this.sockets = sockets;
    this.bindAddress = bindAddress;
    this.transport = transport;
    this.originalDestination = originalDestination;
    this.dispatcher = dispatcher;
    this.relays = relays;
  }

  public CompletableFuture<InetSocketAddress> start() {
    return listener.bind(transport, sockets.servers(), bindAddress, true, this::accept);
  }

  public CompletableFuture<Void> stop() {
    return listener.stop();
  }

  private void accept(Channel ch) {
    InetSocketAddress source = (InetSocketAddress) ch.remoteAddress();
    InetSocketAddress destination = originalDestination.of(ch);
    if (destination == null) {
      LOG.warn("inbound plaintext from {} closed: original destination unknown", source);
      ch.close();
      return;
    }
    Admission admission = dispatcher.admit(destination, null, source, null, null);
    if (admission instanceof Admission.Rejected r) {
      LOG.warn(
          "inbound plaintext from {} to {} refused ({}): {}",
          source,
          destination,
          r.status(),
          r.reason());
      ch.close();
      return;
    }
    Admission.Admitted admitted = (Admission.Admitted) admission;
    ConnectionTracker tracker = admitted.tracker();
    ChannelFuture connect =
        dispatcher.connectUpstream(ch.eventLoop(), admitted.destination(), destination);
    connect.addListener(
        f -> {
          if (!f.isSuccess()) {
            String reason = "upstream connect to " + destination + " failed: " + f.cause();
            LOG.warn("inbound plaintext from {}: {}", source, reason);
            tracker.close("CONNECT", reason);
            ch.close();
            return;
          }
          relays.track(RelaySession.start(ch, connect.channel(), tracker));
        });
  }
}
