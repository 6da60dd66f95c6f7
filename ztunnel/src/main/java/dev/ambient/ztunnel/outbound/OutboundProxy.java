package dev.ambient.ztunnel.outbound;

import dev.ambient.api.model.Service;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.hbone.HboneAuthority;
import dev.ambient.ztunnel.hbone.HbonePool;
import dev.ambient.ztunnel.hbone.HboneStatusException;
import dev.ambient.ztunnel.identity.CertificateProvider;
import dev.ambient.ztunnel.metrics.ConnectionLabels;
import dev.ambient.ztunnel.metrics.ConnectionTracker;
import dev.ambient.ztunnel.metrics.TcpMetrics;
import dev.ambient.ztunnel.relay.LiveRelays;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.relay.SocketFactory;
import dev.ambient.ztunnel.state.StateHolder;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single outbound path: whatever produced the destination (SOCKS5 today, capture later), the
 * connection is routed by {@link OutboundRouter} and carried by HBONE or plain TCP.
 */
public final class OutboundProxy {
  private static final Logger LOG = LoggerFactory.getLogger(OutboundProxy.class);
  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

  private final StateHolder state;
  private final HbonePool pool;
  private final CertificateProvider certificates;
  private final TcpMetrics metrics;
  private final LiveRelays relays;
  private final OutboundRouter router;
  private final SocketFactory hostSockets;
  private final Map<String, AtomicInteger> active = new ConcurrentHashMap<>();

  public OutboundProxy(
      StateHolder state,
      NetTransport transport,
      HbonePool pool,
      CertificateProvider certificates,
      TcpMetrics metrics,
      LiveRelays relays,
      int hbonePort) {
    this.state = state;
    this.pool = pool;
    this.certificates = certificates;
    this.metrics = metrics;
    this.relays = relays;
    this.router = new OutboundRouter(hbonePort, this::activeConnections);
    this.hostSockets = SocketFactory.host(transport);
  }

  /** Live outbound connections to an endpoint (what LEAST_REQUESTS balances on). */
  public int activeConnections(Workload endpoint) {
    AtomicInteger n = active.get(endpoint.uid());
    return n == null ? 0 : n.get();
  }

  public OutboundRouter router() {
    return router;
  }

  /**
   * Routes and connects. The future completes once the upstream is established; the caller then
   * starts the relay with {@link OutboundConnection#relay()}. On failure the tracker has been
   * closed and the future fails with an {@link OutboundException}; the downstream stays open for
   * the caller to answer.
   */
  public CompletableFuture<OutboundConnection> connect(
      Workload source, InetSocketAddress originalDestination, Channel downstream) {
    return connect(source, hostSockets, originalDestination, downstream);
  }

  /**
   * As {@link #connect(Workload, InetSocketAddress, Channel)}, with upstream sockets made by {@code
   * sockets} (inside the source pod's namespace in in-pod mode).
   */
  public CompletableFuture<OutboundConnection> connect(
      Workload source,
      SocketFactory sockets,
      InetSocketAddress originalDestination,
      Channel downstream) {
    Route route = router.route(state.current(), source, originalDestination);
    ConnectionTracker tracker =
        metrics.open(labels(source, originalDestination, downstream, route));
    if (route instanceof Route.Reject r) {
      tracker.close("NR", r.reason());
      LOG.warn(
          "outbound from {} to {} rejected: {}", source.uid(), originalDestination, r.reason());
      return CompletableFuture.failedFuture(new OutboundException(r.reason(), false, null));
    }
    Workload counted = countedEndpoint(route);
    Runnable onEnd = counted == null ? () -> {} : () -> decrement(counted);
    if (counted != null) {
      active.computeIfAbsent(counted.uid(), k -> new AtomicInteger()).incrementAndGet();
    }
    CompletableFuture<Channel> upstream;
    if (route instanceof Route.Passthrough p) {
      upstream = connectTcp(downstream, sockets, p.target());
    } else if (route instanceof Route.Hbone h) {
      upstream = openHbone(source, sockets, h.expectedIdentities(), h.hboneAddress(), h.target());
    } else {
      Route.ViaWaypoint w = (Route.ViaWaypoint) route;
      upstream =
          openHbone(source, sockets, w.expectedIdentities(), w.hboneAddress(), w.authority());
    }
    return upstream.handle(
        (ch, t) -> {
          if (t != null) {
            Throwable cause =
                t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
            String reason = "outbound to " + originalDestination + " failed: " + describe(cause);
            tracker.close("CONNECT", reason);
            onEnd.run();
            LOG.warn("outbound from {}: {}", source.uid(), reason);
            boolean refused =
                cause instanceof HboneStatusException || cause instanceof ConnectException;
            throw new OutboundException(reason, refused, cause);
          }
          return new OutboundConnection(downstream, ch, route, tracker, relays, onEnd);
        });
  }

  private CompletableFuture<Channel> openHbone(
      Workload source,
      SocketFactory sockets,
      Set<SpiffeId> expected,
      InetSocketAddress hboneAddress,
      InetSocketAddress authority) {
    return certificates
        .certificate(source.identity())
        .thenCompose(
            cert ->
                pool.open(cert, sockets, expected, hboneAddress, HboneAuthority.format(authority)))
        .thenApply(stream -> (Channel) stream);
  }

  private CompletableFuture<Channel> connectTcp(
      Channel downstream, SocketFactory sockets, InetSocketAddress target) {
    CompletableFuture<Channel> result = new CompletableFuture<>();
    ChannelFuture f =
        new Bootstrap()
            .group(downstream.eventLoop())
            .channelFactory(sockets.clients())
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
            .handler(new ChannelInboundHandlerAdapter())
            .connect(target);
    f.addListener(
        x -> {
          if (x.isSuccess()) {
            result.complete(f.channel());
          } else {
            result.completeExceptionally(x.cause());
          }
        });
    return result;
  }

  private static String describe(Throwable t) {
    StringBuilder b = new StringBuilder(String.valueOf(t.getMessage()));
    Throwable c = t.getCause();
    for (int i = 0; c != null && c != t && i < 4; i++, c = c.getCause()) {
      b.append(": ").append(c.getMessage() != null ? c.getMessage() : c.toString());
    }
    return b.toString();
  }

  private void decrement(Workload w) {
    AtomicInteger n = active.get(w.uid());
    if (n != null) {
      n.decrementAndGet();
    }
  }

  private static Workload countedEndpoint(Route route) {
    if (route instanceof Route.Hbone h) {
      return h.destination();
    } else if (route instanceof Route.Passthrough p) {
      return p.destination();
    } else if (route instanceof Route.ViaWaypoint w) {
      return w.waypoint();
    }
    return null;
  }

  private static ConnectionLabels labels(
      Workload source, InetSocketAddress dst, Channel downstream, Route route) {
    Workload destination = null;
    SpiffeId destinationPrincipal = null;
    Service service = null;
    InetSocketAddress hbone = null;
    boolean mtls = false;
    InetSocketAddress target = dst;
    if (route instanceof Route.Hbone h) {
      destination = h.destination();
      destinationPrincipal = h.destination().identity();
      service = h.service();
      hbone = h.hboneAddress();
      mtls = true;
      target = h.target();
    } else if (route instanceof Route.ViaWaypoint w) {
      destination = w.destination();
      destinationPrincipal = w.waypoint().identity();
      service = w.service();
      hbone = w.hboneAddress();
      mtls = true;
    } else if (route instanceof Route.Passthrough p) {
      destination = p.destination();
      service = p.service();
      target = p.target();
    }
    return new ConnectionLabels(
        ConnectionLabels.SOURCE,
        "outbound",
        source,
        source.identity(),
        destination,
        destinationPrincipal,
        service,
        mtls,
        (InetSocketAddress) downstream.remoteAddress(),
        target,
        hbone);
  }
}
