package dev.ambient.ztunnel.proxy;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.authz.Authorizer;
import dev.ambient.ztunnel.hbone.HbonePool;
import dev.ambient.ztunnel.hbone.HboneServer;
import dev.ambient.ztunnel.identity.CertificateProvider;
import dev.ambient.ztunnel.inbound.InboundDispatcher;
import dev.ambient.ztunnel.inbound.InboundPlaintextServer;
import dev.ambient.ztunnel.metrics.TcpMetrics;
import dev.ambient.ztunnel.outbound.OutboundProxy;
import dev.ambient.ztunnel.outbound.Socks5Server;
import dev.ambient.ztunnel.relay.LiveRelays;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.relay.SocketFactory;
import dev.ambient.ztunnel.state.StateHolder;
import dev.ambient.ztunnel.tls.TlsContexts;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All data-path listeners of one ztunnel: an HBONE listener per address of every local HBONE
 * workload (kept in step with the mesh state), the SOCKS5 listener, the optional inbound plaintext
 * listener, and the shared HBONE client pool. {@link #drain} implements SIGTERM.
 */
public final class ProxyListeners implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyListeners.class);

  private final ProxySettings settings;
  private final StateHolder state;
  private final NetTransport transport;
  private final CertificateProvider certificates;
  private final TlsContexts tls;
  private final LiveRelays relays = new LiveRelays();
  private final InboundDispatcher dispatcher;
  private final HbonePool pool;
  private final OutboundProxy outbound;
  private final Map<InetSocketAddress, HboneServer> hbone = new LinkedHashMap<>();

  /** In-pod mode: where to reach each handed-over pod's application (inside its netns). */
  private final Map<String, SocketFactory> podSockets = new ConcurrentHashMap<>();

  private Socks5Server socks;
  private InboundPlaintextServer plaintext;
  private volatile InetSocketAddress socksBound;
  private volatile InetSocketAddress plaintextBound;
  private boolean stopped;

  /** Listener closes started by earlier reconciles, so a caller can wait for them too. */
  private CompletableFuture<Void> closing = CompletableFuture.completedFuture(null);

  public ProxyListeners(
      ProxySettings settings,
      StateHolder state,
      NetTransport transport,
      CertificateProvider certificates,
      Authorizer authorizer,
      TcpMetrics metrics) {
    this.settings = settings;
    this.state = state;
    this.transport = transport;
    this.certificates = certificates;
    this.tls = new TlsContexts();
    SocketFactory host = SocketFactory.host(transport);
    this.dispatcher =
        new InboundDispatcher(
            state,
            settings.nodeName(),
            authorizer,
            metrics,
            w -> podSockets.getOrDefault(w.uid(), host));
    this.pool = new HbonePool(transport, tls, settings.pool());
    this.outbound =
        new OutboundProxy(
            state, transport, pool, certificates, metrics, relays, settings.hbonePort());
  }

  /** Binds every listener and starts following state changes. */
  public CompletableFuture<Void> start() {
    if (settings.inPod() && !"io_uring".equals(transport.name())) {
      // SO_ORIGINAL_DST and SO_MARK need socket fds, which NIO channels do not expose.
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "in-pod mode needs the io_uring transport (socket fds for SO_ORIGINAL_DST and"
                  + " SO_MARK); this transport is "
                  + transport.name()));
    }
    List<CompletableFuture<?>> binds = new ArrayList<>();
    if (settings.socksAddress() != null) {
      socks =
          new Socks5Server(
              settings.socksAddress(),
              transport,
              state,
              settings.nodeName(),
              outbound,
              settings.socksHandshakeTimeout());
      binds.add(socks.start().thenAccept(a -> socksBound = a));
    }
    if (settings.inboundPlaintextAddress() != null) {
      plaintext =
          new InboundPlaintextServer(
              settings.inboundPlaintextAddress(),
              transport,
              settings.inboundOriginalDestination(),
              dispatcher,
              relays);
      binds.add(plaintext.start().thenAccept(a -> plaintextBound = a));
    }
    state.onChange(s -> reconcile(s));
    binds.add(reconcile(state.current()));
    return CompletableFuture.allOf(binds.toArray(CompletableFuture[]::new));
  }

  /**
   * Opens HBONE listeners for new local workloads and closes those of workloads that left this
   * node. Completes when the new listeners are bound (a failed bind is logged and retried on the
   * next state change).
   */
  public synchronized CompletableFuture<Void> reconcile(MeshState snapshot) {
    if (stopped) {
      return CompletableFuture.completedFuture(null);
    }
    Map<InetSocketAddress, Workload> wanted = new HashMap<>();
    for (Workload w : snapshot.workloadsOnNode(settings.nodeName())) {
      // In-pod mode: each pod's HBONE listener lives in its own netns (InPodManager).
      if (w.protocol() != TunnelProtocol.HBONE || settings.inPod()) {
        continue;
      }
      for (InetAddress a : w.addresses()) {
        wanted.put(new InetSocketAddress(a, settings.hbonePort()), w);
      }
    }
    List<CompletableFuture<?>> pending = new ArrayList<>();
    for (var it = hbone.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      Workload w = wanted.get(e.getKey());
      if (w == null
          || !w.uid().equals(e.getValue().workload().uid())
          || !w.identity().equals(e.getValue().workload().identity())) {
        LOG.info("closing HBONE listener {} of {}", e.getKey(), e.getValue().workload().uid());
        pending.add(e.getValue().close());
        it.remove();
      }
    }
    pending.add(closing);
    CompletableFuture<Void> closed =
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
    closing = closed;
    List<CompletableFuture<?>> binds = new ArrayList<>();
    for (var e : wanted.entrySet()) {
      HboneServer existing = hbone.get(e.getKey());
      if (existing != null) {
        binds.add(existing.bound().handle((a, t) -> null));
        continue;
      }
      HboneServer server =
          new HboneServer(
              e.getValue(), e.getKey(), transport, certificates, tls, dispatcher, relays);
      hbone.put(e.getKey(), server);
      InetSocketAddress key = e.getKey();
      binds.add(
          closed
              .thenCompose(v -> server.start())
              .handle(
                  (a, t) -> {
                    if (t != null) {
                      LOG.warn(
                          "HBONE listener {} of {} failed to bind: {}",
                          key,
                          server.workload().uid(),
                          t.toString());
                      synchronized (this) {
                        hbone.remove(key, server);
                      }
                    }
                    return null;
                  }));
    }
    binds.add(closed);
    return CompletableFuture.allOf(binds.toArray(CompletableFuture[]::new));
  }

  public synchronized Map<InetSocketAddress, HboneServer> hboneListeners() {
    return Map.copyOf(hbone);
  }

  /** The bound SOCKS5 address (useful with port 0), or {@code null}. */
  public InetSocketAddress socksAddress() {
    return socksBound;
  }

  public InetSocketAddress inboundPlaintextAddress() {
    return plaintextBound;
  }

  /** In-pod mode: upstream connections to {@code uid}'s application are made by {@code sockets}. */
  public void registerPodSockets(String uid, SocketFactory sockets) {
    podSockets.put(uid, sockets);
  }

  /** Forgets {@code sockets} for {@code uid} (only if they are still the registered ones). */
  public void unregisterPodSockets(String uid, SocketFactory sockets) {
    podSockets.remove(uid, sockets);
  }

  public ProxySettings settings() {
    return settings;
  }

  public StateHolder state() {
    return state;
  }

  public NetTransport transport() {
    return transport;
  }

  public CertificateProvider certificates() {
    return certificates;
  }

  public TlsContexts tls() {
    return tls;
  }

  public InboundDispatcher dispatcher() {
    return dispatcher;
  }

  public OutboundProxy outbound() {
    return outbound;
  }

  public HbonePool pool() {
    return pool;
  }

  public LiveRelays relays() {
    return relays;
  }

  /**
   * Graceful shutdown: stop accepting, send GOAWAY on every HBONE connection, let live tunnels
   * finish until the deadline, then cut the rest and close everything.
   */
  public CompletableFuture<Void> drain(Duration deadline) {
    List<HboneServer> servers;
    synchronized (this) {
      stopped = true;
      servers = new ArrayList<>(hbone.values());
    }
    List<CompletableFuture<?>> stops = new ArrayList<>();
    if (socks != null) {
      stops.add(socks.stop());
    }
    if (plaintext != null) {
      stops.add(plaintext.stop());
    }
    for (HboneServer s : servers) {
      stops.add(s.stopAccepting());
      s.goAway();
    }
    pool.drain();
    LOG.info("draining {} live connections for up to {}", relays.count(), deadline);
    return CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new))
        .thenCompose(v -> relays.awaitAll())
        .completeOnTimeout(null, deadline.toMillis(), TimeUnit.MILLISECONDS)
        .thenCompose(
            v -> {
              if (relays.count() > 0) {
                LOG.warn("drain deadline passed, closing {} live connections", relays.count());
                relays.abortAll("ztunnel shutting down");
              }
              return closeAll(servers);
            });
  }

  private CompletableFuture<Void> closeAll(List<HboneServer> servers) {
    List<CompletableFuture<?>> closes = new ArrayList<>();
    for (HboneServer s : servers) {
      closes.add(s.close());
    }
    pool.close();
    synchronized (this) {
      hbone.clear();
    }
    return CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new));
  }

  /** Immediate close without draining. */
  @Override
  public void close() {
    List<HboneServer> servers;
    synchronized (this) {
      stopped = true;
      servers = new ArrayList<>(hbone.values());
    }
    if (socks != null) {
      socks.stop();
    }
    if (plaintext != null) {
      plaintext.stop();
    }
    relays.abortAll("ztunnel closing");
    closeAll(servers);
  }
}
