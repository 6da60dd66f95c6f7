package dev.ambient.controller.waypoint.xds;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local (in-process) mode's waypoint ADS: {@link WaypointDiscovery} on a gRPC port of its own,
 * where each caller must present the bearer token issued for its node by {@link #register} (Envoy
 * sends it as gRPC initial metadata from its bootstrap file, which is written 0600), and the node
 * id it claims must be that node. In a cluster the same discovery is served on the controller's
 * 15012 instead (see {@code server.CombinedAdsService}).
 *
 * <p>In local mode the stream carries the waypoint's private key (the controller made it), which is
 * why the port is loopback-only and token-protected.
 */
public final class WaypointXdsServer implements WaypointConfigSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WaypointXdsServer.class);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> CALLER = Context.key("waypoint-node");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Server server;
  private final WaypointDiscovery discovery;
  private final Map<String, String> tokens = new ConcurrentHashMap<>();

  private WaypointXdsServer(InetSocketAddress listen) throws IOException {
    this.discovery =
        new WaypointDiscovery(
            CALLER,
            (caller, node) ->
                caller.equals(node)
                    ? Optional.empty()
                    : Optional.of("the token is not for this node id"));
    this.server =
        NettyServerBuilder.forAddress(listen)
            .maxInboundMessageSize(4 * 1024 * 1024)
            .addService(ServerInterceptors.intercept(discovery.service(), new TokenCheck()))
            .build()
            .start();
    LOG.info(
        "waypoint ADS listening on {}:{}", listen.getAddress().getHostAddress(), server.getPort());
  }

  /** Starts on {@code listen} (a loopback address in local mode; port 0 picks one). */
  public static WaypointXdsServer start(InetSocketAddress listen) throws IOException {
    return new WaypointXdsServer(listen);
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) server.getListenSockets().get(0);
  }

  /** A fresh bearer token for a waypoint node (replacing any earlier one); keep it secret. */
  public String register(String node) {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    tokens.entrySet().removeIf(e -> e.getValue().equals(node));
    tokens.put(token, node);
    return token;
  }

  /** Serves a new configuration to the node; returns its version. */
  @Override
  public String publish(String node, WaypointResources resources) {
    return discovery.publish(node, resources);
  }

  /**
   * Told when Envoy refuses a configuration because of a WasmPlugin ({@link WaypointDiscovery}).
   */
  public void onPluginRejected(java.util.function.BiConsumer<String, String> listener) {
    discovery.onPluginRejected(listener);
  }

  /** The version being served to the node (after a rollback, the re-served accepted one). */
  public String currentVersion(String node) {
    return discovery.currentVersion(node);
  }

  /** The last version Envoy accepted for every type it carries, or null. */
  public String acceptedVersion(String node) {
    return discovery.acceptedVersion(node);
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
    discovery.close();
  }

  private final class TokenCheck implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      String value = headers.get(AUTHORIZATION);
      String node = null;
      if (value != null && value.startsWith("Bearer ")) {
        node = lookup(value.substring("Bearer ".length()));
      }
      if (node == null) {
        LOG.warn("waypoint ADS: call without a valid token from {}", call.getAttributes());
        call.close(
            Status.UNAUTHENTICATED.withDescription("waypoint token required"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return Contexts.interceptCall(Context.current().withValue(CALLER, node), call, headers, next);
    }

    /** Constant-time comparison over all tokens: the map lookup alone would leak timing. */
    private String lookup(String presented) {
      String found = null;
      byte[] p = presented.getBytes(StandardCharsets.US_ASCII);
      for (Map.Entry<String, String> e : tokens.entrySet()) {
        if (MessageDigest.isEqual(p, e.getKey().getBytes(StandardCharsets.US_ASCII))) {
          found = e.getValue();
        }
      }
      return found;
    }
  }
}
