package dev.ambient.ztunnel.testing;

import dev.ambient.api.model.MeshState;
import dev.ambient.ztunnel.hbone.HbonePoolSettings;
import dev.ambient.ztunnel.hbone.HboneServer;
import dev.ambient.ztunnel.proxy.ProxyListeners;
import dev.ambient.ztunnel.proxy.ProxySettings;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.state.StateHolder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/** One in-process ztunnel (all data-path listeners) with test policy, metrics and certificates. */
public final class ZtunnelNode implements AutoCloseable {
  public final String nodeName;
  public final StateHolder state;
  public final RecordingTcpMetrics metrics = new RecordingTcpMetrics();
  public final DenyPrincipalsAuthorizer authorizer = new DenyPrincipalsAuthorizer();
  public final ProxyListeners listeners;

  public ZtunnelNode(
      String nodeName,
      MeshState initial,
      InetAddress socksIp,
      int hbonePort,
      NetTransport transport,
      TestCertificates certificates,
      HbonePoolSettings pool,
      Duration socksTimeout) {
    this.nodeName = nodeName;
    this.state = new StateHolder(initial);
    ProxySettings settings =
        new ProxySettings(
            nodeName, hbonePort, new InetSocketAddress(socksIp, 0), null, null, socksTimeout, pool);
    this.listeners =
        new ProxyListeners(settings, state, transport, certificates, authorizer, metrics);
    listeners.start().join();
  }

  public InetSocketAddress socks() {
    return listeners.socksAddress();
  }

  /** Applies a new state and waits until the HBONE listeners follow it. */
  public void apply(MeshState next) {
    state.apply(next);
    listeners.reconcile(next).join();
  }

  public long acceptedHboneConnections() {
    long n = 0;
    for (HboneServer s : listeners.hboneListeners().values()) {
      n += s.acceptedConnections();
    }
    return n;
  }

  @Override
  public void close() {
    listeners.close();
  }
}
