package dev.ambient.controller.xds;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.wds.WorkloadProtos;
import dev.ambient.controller.ca.BootstrapTokens;
import dev.ambient.controller.ca.CertificateAuthority;
import dev.ambient.controller.ca.RootStore;
import dev.ambient.controller.server.ControllerServer;
import dev.ambient.ztunnel.state.StateHolder;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.xds.WdsClient;
import dev.ambient.ztunnel.xds.WdsClientConfig;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** A real controller (CA + discovery over TLS on a 127.x address) and real discovery clients. */
final class WdsFixture implements AutoCloseable {
  static final String TD = "cluster.local";

  /** What a client received: the response and, if it was NACKed, why. */
  record Received(DeltaDiscoveryResponse response, String rejection) {}

  final Path stateDir;
  final InetAddress ip = TestAddresses.next();
  final RootStore roots;
  final CertificateAuthority ca;
  final BootstrapTokens tokens;
  ControllerServer server;
  private final List<AutoCloseable> clients = new ArrayList<>();

  WdsFixture(Path stateDir) throws Exception {
    this.stateDir = stateDir;
    this.roots = RootStore.open(stateDir, TD);
    this.ca = new CertificateAuthority(roots, TD, Duration.ofHours(24));
    this.tokens = BootstrapTokens.open(stateDir);
  }

  /** Starts the controller on the given port (0: any) with the source. */
  ControllerServer start(SnapshotSource source, int port, boolean plaintext) throws Exception {
    server =
        ControllerServer.start(
            new ControllerServer.Settings(
                new InetSocketAddress(ip, port), plaintext ? new InetSocketAddress(ip, 0) : null),
            source,
            ca,
            tokens);
    return server;
  }

  Path token(String node) throws Exception {
    return BootstrapTokens.issue(stateDir, node, null);
  }

  /** A discovery client for the node that records every response it gets. */
  WdsClient client(String node, StateHolder state, List<Received> received) throws Exception {
    return client(node, state, received, server.port(), false);
  }

  WdsClient client(
      String node, StateHolder state, List<Received> received, int port, boolean plaintext)
      throws Exception {
    WdsClient c =
        WdsClient.start(
            new WdsClientConfig(
                ip.getHostAddress(),
                port,
                plaintext,
                roots.trustBundlePath(),
                token(node),
                TD,
                node,
                Duration.ofMillis(100),
                Duration.ofMillis(400)),
            state,
            (response, rejection) -> received.add(new Received(response, rejection)));
    clients.add(c);
    return c;
  }

  /** Publishes a mesh state as the translation would. */
  static WdsSnapshot snapshotOf(MeshState state) {
    return WdsSnapshot.of(state.version(), WorkloadProtos.toProtos(state));
  }

  /** A source whose snapshots the test sets. */
  static final class SettableSource implements SnapshotSource {
    private final StateHolder holder;

    SettableSource(MeshState initial) {
      holder = new StateHolder(initial);
    }

    void set(MeshState next) {
      holder.apply(next);
    }

    @Override
    public MeshState current() {
      return holder.current();
    }

    @Override
    public void onChange(Consumer<MeshState> listener) {
      holder.onChange(listener);
    }

    @Override
    public void close() {}
  }

  void stopServer() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : clients) {
      c.close();
    }
    stopServer();
  }
}
