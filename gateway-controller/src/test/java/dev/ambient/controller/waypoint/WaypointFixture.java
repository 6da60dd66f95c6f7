package dev.ambient.controller.waypoint;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.controller.waypoint.process.EnvoyBinary;
import dev.ambient.controller.waypoint.process.WaypointProcess;
import dev.ambient.controller.waypoint.xds.WaypointResources;
import dev.ambient.controller.waypoint.xds.WaypointXdsServer;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.TestMesh;
import dev.ambient.ztunnel.testing.ZtunnelPair;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.LoggerFactory;

/**
 * A waypoint between two real in-process ztunnels: client (node-a) -> SOCKS5 -> HBONE to the
 * waypoint Envoy (configured over ADS by {@link WaypointXdsServer}) -> HBONE to node-b's listener
 * on the server workload -> {@link HttpBackend}. Services {@code echo} (VIP {@link #vip}) and
 * {@code bad} (VIP {@link #badVip}) both name the waypoint.
 */
final class WaypointFixture implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(30);

  final ZtunnelPair pair;
  final HttpBackend backend;

  /**
   * A second HTTP server on the server workload, behind service {@code mirror} ({@link
   * #mirrorVip}).
   */
  final HttpBackend mirrorBackend;

  final InetAddress waypointIp = TestAddresses.next();
  final InetAddress vip = TestAddresses.next();
  final InetAddress badVip = TestAddresses.next();
  final InetAddress tcpVip = TestAddresses.next();
  final InetAddress mirrorVip = TestAddresses.next();

  /**
   * An h2c-only server (as gRPC servers are) on the server workload, behind {@link #h2cVip}:7070.
   */
  final H2cBackend h2cBackend;

  final InetAddress h2cVip = TestAddresses.next();
  final Workload waypoint;
  final MeshState state;
  final WaypointXdsServer xds;
  final String node;
  final WaypointProcess envoy;
  final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final List<Socket> sockets = new ArrayList<>();

  /**
   * The fixture on the installed Envoy; without one the calling test is skipped (the reason also
   * printed, so a run without Envoy says why its waypoint tests did nothing).
   */
  static WaypointFixture startOrSkip(Path workDir) throws Exception {
    var envoy = EnvoyBinary.find();
    if (envoy.isEmpty()) {
      System.out.println(EnvoyBinary.skipReason());
    }
    Assumptions.assumeTrue(envoy.isPresent(), EnvoyBinary.skipReason());
    return new WaypointFixture(envoy.get(), workDir);
  }

  WaypointFixture(Path envoyBinary, Path workDir) throws Exception {
    pair = new ZtunnelPair();
    WaypointProcess started = null;
    WaypointXdsServer server = null;
    try {
      backend = new HttpBackend(pair.serverIp, "server");
      mirrorBackend = new HttpBackend(pair.serverIp, "mirror");
      h2cBackend = new H2cBackend(pair.transport, pair.serverIp);
      waypoint = TestMesh.workload("waypoint", "node-wp", waypointIp, TunnelProtocol.HBONE, null);
      GatewayAddress via = GatewayAddress.ofAddress(waypointIp);
      Service echo =
          withWaypoint(
              TestMesh.service(
                  "echo", vip, 80, backend.port(), LoadBalancing.ROUND_ROBIN, pair.server),
              via);
      Service bad =
          withWaypoint(
              TestMesh.service(
                  "bad", badVip, 80, backend.port(), LoadBalancing.ROUND_ROBIN, pair.server),
              via);
      Service tcp =
          withWaypoint(
              TestMesh.service(
                  "tcp-echo",
                  tcpVip,
                  9000,
                  pair.echo.port(),
                  LoadBalancing.ROUND_ROBIN,
                  pair.server),
              via);
      Service mirror =
          TestMesh.service(
              "mirror",
              mirrorVip,
              80,
              mirrorBackend.port(),
              LoadBalancing.ROUND_ROBIN,
              pair.server);
      Service grpc =
          withWaypoint(
              TestMesh.service(
                  "grpc-echo",
                  h2cVip,
                  7070,
                  h2cBackend.port(),
                  LoadBalancing.ROUND_ROBIN,
                  pair.server),
              via);
      pair.add(List.of(waypoint), List.of(echo, bad, tcp, mirror, grpc));
      state =
          TestMesh.state(
              List.of(pair.client, pair.server, waypoint), List.of(echo, bad, tcp, mirror, grpc));
      Logger logger = (Logger) LoggerFactory.getLogger(WaypointXdsServer.class);
      logs.start();
      logger.addAppender(logs);
      server = WaypointXdsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      node = WaypointTranslator.nodeId(waypoint);
      String token = server.register(node);
      started =
          WaypointProcess.start(
              envoyBinary, Files.createDirectories(workDir), node, server.address(), token);
      started.adminAddress(WAIT);
    } catch (Exception | Error e) {
      if (started != null) {
        started.close();
      }
      if (server != null) {
        server.close();
      }
      pair.close();
      throw e;
    }
    xds = server;
    envoy = started;
  }

  private static Service withWaypoint(Service s, GatewayAddress wp) {
    return new Service(
        s.name(),
        s.namespace(),
        s.hostname(),
        s.vips(),
        s.ports(),
        s.endpoints(),
        s.loadBalancing(),
        wp,
        s.subjectAltNames());
  }

  /** The translated model (each service to itself; tcp-echo proxied at L4). */
  WaypointModel model() {
    return model(java.util.Map.of());
  }

  /** The translated model with these route tables (from {@link RouteTables}). */
  WaypointModel model(java.util.Map<BackendRef, List<RouteRule>> routes) {
    return model(
        routes,
        (service, port) ->
            service.name().equals("tcp-echo") ? ServiceProtocol.TCP : ServiceProtocol.HTTP);
  }

  /** The translated model with these route tables and protocols. */
  WaypointModel model(java.util.Map<BackendRef, List<RouteRule>> routes, ProtocolPolicy protocols) {
    return WaypointTranslator.translate(state, waypoint.uid(), protocols, routes);
  }

  /** Publishes and waits until Envoy accepted this version for every type. */
  String publishAndWait(WaypointResources resources) throws Exception {
    String v = xds.publish(node, resources);
    try {
      awaitAccepted(v);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; Envoy log:\n" + tail(envoyLog(), 6000), e);
    }
    return v;
  }

  /** Waits until Envoy accepted version {@code v} for every type. */
  void awaitAccepted(String v) throws InterruptedException {
    await(() -> v.equals(xds.acceptedVersion(node)), "Envoy to accept " + v);
  }

  /** A publisher of this waypoint's config that takes every service as HTTP. */
  WaypointPublisher publisher() {
    return new WaypointPublisher(
        xds, pair.pki::issue, ProtocolPolicy.ALL_HTTP, waypoint.uid(), java.time.Clock.systemUTC());
  }

  WaypointResources resources(WaypointModel model) {
    return WaypointResources.of(model, pair.certificates.certificate(waypoint.identity()).join());
  }

  /** A client connection to {@code dst} through node A's SOCKS5 (and so through the waypoint). */
  Socket connect(InetAddress dst, int port) throws Exception {
    Socket s = pair.connect(new InetSocketAddress(dst, port));
    sockets.add(s);
    return s;
  }

  String envoyLog() throws Exception {
    return Files.readString(envoy.log());
  }

  private static String tail(String s, int n) {
    return s.length() <= n ? s : s.substring(s.length() - n);
  }

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    Instant until = Instant.now().plus(WAIT);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(until)) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  @Override
  public void close() throws Exception {
    for (Socket s : sockets) {
      s.close();
    }
    envoy.close();
    xds.close();
    backend.close();
    mirrorBackend.close();
    h2cBackend.close();
    pair.close();
    ((Logger) LoggerFactory.getLogger(WaypointXdsServer.class)).detachAppender(logs);
  }
}
