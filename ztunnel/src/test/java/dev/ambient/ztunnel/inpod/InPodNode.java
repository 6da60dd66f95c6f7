package dev.ambient.ztunnel.inpod;

import dev.ambient.api.model.MeshState;
import dev.ambient.ztunnel.authz.Authorizer;
import dev.ambient.ztunnel.identity.CertificateProvider;
import dev.ambient.ztunnel.proxy.ProxyListeners;
import dev.ambient.ztunnel.proxy.ProxySettings;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.state.StateHolder;
import dev.ambient.ztunnel.testing.RecordingTcpMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** One in-process ztunnel in in-pod mode, with its CNI socket. */
final class InPodNode implements AutoCloseable {
  final String name;
  final StateHolder state;
  final RecordingTcpMetrics metrics = new RecordingTcpMetrics();
  final ProxyListeners listeners;
  final InPodManager manager;
  final InPodServer server;

  InPodNode(
      String name,
      MeshState initial,
      NetTransport transport,
      CertificateProvider certificates,
      Authorizer authorizer,
      Path socket,
      Duration podDrain)
      throws IOException {
    this.name = name;
    this.state = new StateHolder(initial);
    ProxySettings settings =
        new ProxySettings(name, ProxySettings.HBONE_PORT, null, null, null, null, null, true);
    this.listeners =
        new ProxyListeners(settings, state, transport, certificates, authorizer, metrics);
    listeners.start().join();
    this.manager = new InPodManager(listeners, podDrain);
    this.server = new InPodServer(socket, manager);
    server.start();
  }

  @Override
  public void close() {
    server.close();
    manager.close();
    listeners.close();
  }
}
