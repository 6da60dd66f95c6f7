package dev.ambient.ztunnel.inpod;

import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.hbone.HboneServer;
import dev.ambient.ztunnel.inbound.InboundPlaintextServer;
import dev.ambient.ztunnel.proxy.ProxyListeners;
import dev.ambient.ztunnel.proxy.ProxySettings;
import dev.ambient.ztunnel.relay.LiveRelays;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What ztunnel runs for one handed-over pod: HBONE (15008), inbound plaintext (15006) and outbound
 * capture (15001), all bound on 0.0.0.0 inside the pod's netns, plus the pod's live relays so a
 * deleted pod can be drained and cut off without touching other pods.
 */
final class PodListeners {
  private static final Logger LOG = LoggerFactory.getLogger(PodListeners.class);
  private static final InetSocketAddress ANY = new InetSocketAddress("0.0.0.0", 0);

  final String uid;
  final Workload workload;
  final PodSockets sockets;
  private final ProxyListeners proxy;
  private final LiveRelays relays = new LiveRelays();
  private final HboneServer hbone;
  private final InboundPlaintextServer plaintext;
  private final OutboundCaptureServer capture;

  PodListeners(
      Workload workload, PodSockets sockets, ProxyListeners proxy, Supplier<Workload> current) {
    this.uid = workload.uid();
    this.workload = workload;
    this.sockets = sockets;
    this.proxy = proxy;
    this.hbone =
        new HboneServer(
            workload,
            at(proxy.settings().hbonePort()),
            proxy.transport(),
            sockets,
            proxy.certificates(),
            proxy.tls(),
            proxy.dispatcher(),
            relays);
    this.plaintext =
        new InboundPlaintextServer(
            at(ProxySettings.INBOUND_PLAINTEXT_PORT),
            proxy.transport(),
            sockets,
            accepted -> {
              try {
                return SocketOptions.originalDestination(SocketOptions.fd(accepted));
              } catch (java.io.IOException e) {
                LOG.warn("inbound plaintext for {}: {}", uid, e.getMessage());
                return null;
              }
            },
            proxy.dispatcher(),
            relays);
    this.capture =
        new OutboundCaptureServer(current, sockets, proxy.transport(), proxy.outbound(), relays);
  }

  private static InetSocketAddress at(int port) {
    return new InetSocketAddress(ANY.getAddress(), port);
  }

  /** Binds the three listeners; on any failure the others are closed again. */
  void start(Duration timeout) throws Exception {
    proxy.registerPodSockets(uid, sockets);
    try {
      CompletableFuture.allOf(
              hbone.start(),
              plaintext.start(),
              capture.start(at(ProxySettings.OUTBOUND_CAPTURE_PORT)))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      stopAccepting().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      closeNow("listeners failed to bind");
      throw e;
    }
  }

  int liveConnections() {
    return relays.count();
  }

  /** Stops accepting on all three ports (frees them for a replacement). */
  CompletableFuture<Void> stopAccepting() {
    return CompletableFuture.allOf(hbone.stopAccepting(), plaintext.stop(), capture.stop());
  }

  /**
   * Stops accepting, asks HBONE clients to go away, lets live connections finish for up to {@code
   * deadline}, then cuts the rest and releases the namespace.
   */
  CompletableFuture<Void> drain(Duration deadline) {
    proxy.unregisterPodSockets(uid, sockets);
    return stopAccepting()
        .thenCompose(
            v -> {
              hbone.goAway();
              return relays.awaitAll();
            })
        .completeOnTimeout(null, deadline.toMillis(), TimeUnit.MILLISECONDS)
        .thenCompose(
            v -> {
              if (relays.count() > 0) {
                LOG.info(
                    "pod {}: drain deadline passed, closing {} connections", uid, relays.count());
              }
              return closeNow("pod " + uid + " removed");
            });
  }

  private CompletableFuture<Void> closeNow(String reason) {
    proxy.unregisterPodSockets(uid, sockets);
    relays.abortAll(reason);
    proxy.pool().closeSockets(sockets.id());
    return hbone
        .close()
        .handle(
            (v, t) -> {
              sockets.netns().close();
              return null;
            });
  }
}
