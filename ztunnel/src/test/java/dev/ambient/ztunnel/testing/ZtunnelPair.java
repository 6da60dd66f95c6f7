package dev.ambient.ztunnel.testing;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.hbone.HbonePoolSettings;
import dev.ambient.ztunnel.relay.NetTransport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Two in-process ztunnels on simulated nodes: "node-a" runs the {@link #client} workload, "node-b"
 * runs the {@link #server} workload with an echo backend. Traffic goes client -> SOCKS5 (A) ->
 * HBONE -> B -> backend. Reusable from the bench module (test-jar) for the HBONE copy path.
 */
public final class ZtunnelPair implements AutoCloseable {
  public static final String NODE_A = "node-a";
  public static final String NODE_B = "node-b";

  public final TestPki pki = new TestPki(TestMesh.TRUST_DOMAIN);
  public final TestCertificates certificates = new TestCertificates(pki);
  public final NetTransport transport;
  public final int hbonePort;
  public final InetAddress clientIp = TestAddresses.next();
  public final InetAddress serverIp = TestAddresses.next();
  public final Workload client;
  public final Workload server;
  public final TestBackend echo;
  public final ZtunnelNode a;
  public final ZtunnelNode b;
  private final List<Workload> extraWorkloads = new ArrayList<>();
  private final List<Service> services = new ArrayList<>();

  public ZtunnelPair() throws IOException {
    this(HbonePoolSettings.DEFAULTS, Duration.ofSeconds(10));
  }

  public ZtunnelPair(HbonePoolSettings pool, Duration socksTimeout) throws IOException {
    this.transport = NetTransport.create(2);
    this.hbonePort = 15008;
    this.client = TestMesh.workload("client", NODE_A, clientIp);
    this.server = TestMesh.workload("server", NODE_B, serverIp);
    this.echo = new TestBackend(serverIp, TestBackend.Mode.ECHO, "server");
    MeshState initial = TestMesh.state(List.of(client, server), List.of());
    this.a =
        new ZtunnelNode(
            NODE_A, initial, clientIp, hbonePort, transport, certificates, pool, socksTimeout);
    this.b =
        new ZtunnelNode(
            NODE_B, initial, serverIp, hbonePort, transport, certificates, pool, socksTimeout);
  }

  /** Adds workloads and services to both nodes' state. */
  public synchronized void add(List<Workload> workloads, List<Service> newServices) {
    extraWorkloads.addAll(workloads);
    services.addAll(newServices);
    List<Workload> all = new ArrayList<>(List.of(client, server));
    all.addAll(extraWorkloads);
    MeshState s = TestMesh.state(all, services);
    a.apply(s);
    b.apply(s);
  }

  /** The echo backend's address on the server workload. */
  public InetSocketAddress echoAddress() {
    return new InetSocketAddress(serverIp, echo.port());
  }

  /** A client socket, through node A's SOCKS5, to the destination. */
  public Socket connect(InetSocketAddress destination) throws IOException {
    return SocksClient.connect(clientIp, a.socks(), destination);
  }

  @Override
  public void close() throws IOException {
    a.close();
    b.close();
    echo.close();
    transport.shutdown();
  }
}
