package dev.ambient.controller.waypoint.agent;

import dev.ambient.controller.waypoint.xds.AgentSds;
import dev.ambient.controller.waypoint.xds.WaypointSecrets;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's SDS server: {@code SecretDiscoveryService} (state of the world, java-control-plane)
 * on a unix domain socket inside the agent's private (0700) work directory, which only this pod's
 * Envoy can reach. It serves the waypoint's certificate chain and private key ({@link
 * AgentSds#CERT_SECRET}) and the mesh trust bundle ({@link AgentSds#BUNDLE_SECRET}); {@link
 * #update} pushes a renewed certificate to the open streams at once.
 *
 * <p>Why a unix socket and Netty NIO: the key must reach Envoy and nothing else. A socket file in a
 * directory only the agent's user can enter needs no token (a loopback TCP port would be open to
 * every process of the pod's network namespace), and no key is ever written to disk (file-based SDS
 * would). Netty's epoll transport is avoided project-wide (see ztunnel's {@code NetTransport});
 * Netty 4.2's NIO transport serves domain sockets through the JDK's {@code
 * UnixDomainSocketAddress}.
 */
public final class AgentSdsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AgentSdsServer.class);
  private static final String GROUP = "envoy";

  private final SimpleCache<String> cache;
  private final EventLoopGroup loop;
  private final Server server;
  private final Path socket;
  private long version;

  /** Listens on {@code socket} (replacing a stale socket file of an earlier run). */
  public static AgentSdsServer start(Path socket) throws IOException {
    Files.deleteIfExists(socket);
    EventLoopGroup loop =
        new MultiThreadIoEventLoopGroup(
            1,
            r -> {
              Thread t = new Thread(r, "agent-sds");
              t.setDaemon(true);
              return t;
            },
            NioIoHandler.newFactory());
    try {
      SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
      V3DiscoveryServer discovery = new V3DiscoveryServer(cache);
      Server server =
          NettyServerBuilder.forAddress(UnixDomainSocketAddress.of(socket))
              .channelType(NioServerDomainSocketChannel.class)
              .bossEventLoopGroup(loop)
              .workerEventLoopGroup(loop)
              .addService(discovery.getSecretDiscoveryServiceImpl())
              .build()
              .start();
      LOG.info("SDS listening on unix socket {}", socket);
      return new AgentSdsServer(socket, loop, server, cache);
    } catch (IOException | RuntimeException e) {
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IOException("SDS server cannot listen on " + socket + ": " + e.getMessage(), e);
    }
  }

  private AgentSdsServer(Path socket, EventLoopGroup loop, Server server, SimpleCache<String> c) {
    this.socket = socket;
    this.loop = loop;
    this.server = server;
    this.cache = c;
  }

  public Path socket() {
    return socket;
  }

  /** Serves {@code certificate} (and its trust bundle) from now on, pushing it to Envoy. */
  public synchronized void update(WorkloadCertificate certificate) {
    version++;
    cache.setSnapshot(
        GROUP,
        Snapshot.create(
            List.of(), List.of(), List.of(), List.of(), secrets(certificate), "s" + version));
    LOG.info(
        "SDS serving certificate for {} (serial {}, not after {}) as version s{}",
        certificate.identity(),
        certificate.leaf().getSerialNumber().toString(16),
        certificate.notAfter(),
        version);
  }

  /** The two secrets, named as {@link AgentSds} says; never logged. */
  static List<Secret> secrets(WorkloadCertificate cert) {
    return WaypointSecrets.build(cert);
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.warn("SDS socket {} not removed: {}", socket, e.getMessage());
    }
  }
}
